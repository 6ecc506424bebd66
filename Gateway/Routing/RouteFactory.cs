using System.Globalization;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Resilience;
using Infrastructure.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;

namespace Infrastructure.Gateway.Routing;

/// <summary>Turns a <see cref="RouteDefinition"/> into a <see cref="Route"/>, or explains in a <see cref="RouteDefinitionException"/> why it cannot.</summary>
internal sealed class RouteFactory(
    GatewayFilterFactory filterFactory,
    RoutePipelineFactory pipelineFactory,
    IOptionsMonitor<GatewayOptions> options,
    IOptions<LoadBalancerOptions> loadBalancerOptions,
    TimeProvider time)
{
    public Route Build(RouteDefinition definition, IReadOnlyList<NamedArgs> defaultFilters, RouteSource source)
    {
        if (string.IsNullOrWhiteSpace(definition.Id))
        {
            throw new RouteDefinitionException("route id is required");
        }
        try
        {
            return BuildCore(definition, defaultFilters, source);
        }
        catch (RouteDefinitionException ex)
        {
            throw new RouteDefinitionException($"route '{definition.Id}': {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            throw new RouteDefinitionException($"route '{definition.Id}': {ex.Message}", ex);
        }
    }

    private Route BuildCore(RouteDefinition d, IReadOnlyList<NamedArgs> defaultFilters, RouteSource source)
    {
        if (!Uri.TryCreate(d.Uri, UriKind.Absolute, out var uri))
        {
            throw new RouteDefinitionException($"uri '{d.Uri}' is not an absolute URI (http://host:port or lb://service-id)");
        }
        string? staticBase = null;
        string? serviceId = null;
        switch (uri.Scheme)
        {
            case "lb":
                serviceId = uri.Host.ToLowerInvariant();
                break;
            case "http" or "https":
                // As in Spring, only scheme, host and port of the route's uri are used; the path comes from the request.
                staticBase = uri.GetLeftPart(UriPartial.Authority);
                break;
            default:
                throw new RouteDefinitionException($"uri scheme '{uri.Scheme}' is not supported (http, https, lb)");
        }
        if (d.Predicates.Count == 0)
        {
            throw new RouteDefinitionException("at least one predicate is required (e.g. Path=/api/**)");
        }
        var time1 = time;
        var predicates = d.Predicates.Select(p => RoutePredicateFactory.Create(p, time1)).ToArray();
        var filters = defaultFilters.Concat(d.Filters).Select(f => filterFactory.Create(f, d.Id)).ToArray();
        var cb = filters.OfType<CircuitBreakerFilter>().LastOrDefault();
        var metadata = d.Metadata;
        var o = options.CurrentValue;
        var lb = loadBalancerOptions.Value;
        // The route's own setting, else Spring's global httpclient.response-timeout, else (lb:// only) Ribbon's ReadTimeout:
        // without one a hung instance would hold every request sent to it for as long as the client waits.
        var responseTimeout = Duration(metadata, "response-timeout") is { } rt
            ? (rt > TimeSpan.Zero ? rt : null)
            : o.HttpClient.ResponseTimeout.Value > TimeSpan.Zero ? o.HttpClient.ResponseTimeout.Value
            : serviceId is not null && lb.ReadTimeoutFor(serviceId) is > 0 and var readTimeout ? TimeSpan.FromMilliseconds(readTimeout) : (TimeSpan?)null;
        var connectTimeout = Duration(metadata, "connect-timeout") is { } ct && ct > TimeSpan.Zero ? ct : (TimeSpan?)null;
        var maxConcurrent = Millis(metadata, "max-concurrent-requests") is { } mc and > 0 ? (int)mc : (int?)null;
        var rule = metadata.TryGetValue("lb-rule", out var r) ? r : null;
        if (rule is not null && !LoadBalancerRuleFactory.IsKnown(rule))
        {
            throw new RouteDefinitionException($"metadata lb-rule '{rule}' must be one of {string.Join(", ", LoadBalancerRules.All)}");
        }
        var spec = new ResilienceSpec(
            filters.OfType<RetryFilter>().LastOrDefault(),
            cb,
            cb is null ? null : o.CircuitBreaker(cb.BreakerName),
            maxConcurrent);
        return new Route
        {
            Id = d.Id,
            Definition = d,
            Source = source,
            Order = d.Order,
            StaticBase = staticBase,
            ServiceId = serviceId,
            Predicates = predicates,
            PathPatterns = predicates.OfType<PathPredicate>().SelectMany(p => p.Patterns).ToArray(),
            Filters = filters,
            PreFilters = filters.OfType<IPreFilter>().ToArray(),
            PathTransforms = filters.OfType<IRequestPathTransform>().ToArray(),
            HeaderTransforms = filters.OfType<IRequestHeadersTransform>().ToArray(),
            ResponseTransforms = filters.OfType<IResponseTransform>().ToArray(),
            Pipeline = pipelineFactory.GetOrCreate(d.Id, spec),
            CircuitBreaker = cb,
            InstanceBreaker = metadata.TryGetValue("instance-circuit-breaker", out var ib) && ib.Length > 0
                ? (serviceId is null ? throw new RouteDefinitionException("metadata instance-circuit-breaker needs an lb:// uri") : (ib, o.CircuitBreaker(ib)))
                : null,
            ConnectTimeout = connectTimeout,
            ResponseTimeout = responseTimeout,
            LoadBalancerRule = rule,
            MaxAutoRetriesNextServer = Millis(metadata, "max-auto-retries-next-server") is { } m and >= 0 ? (int)m : Math.Max(0, lb.MaxAutoRetriesNextServer),
            RetryNonIdempotent = metadata.TryGetValue("retry-non-idempotent", out var rni) ? bool.Parse(rni) : lb.OkToRetryOnAllOperations,
            LogBodiesMaxBytes = LogBodiesMaxBytes(metadata),
            RequiredScopes = (metadata.TryGetValue("required-scopes", out var scopes) || metadata.TryGetValue("RequiredScopes", out scopes)
                ? scopes.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : []),
        };
    }

    /// <summary>Default cap of a captured body, per body and direction.</summary>
    public const int DefaultLogBodiesMaxBytes = 4096;

    private static int? LogBodiesMaxBytes(Dictionary<string, string> metadata)
    {
        if (!(metadata.TryGetValue("log-bodies", out var on) || metadata.TryGetValue("LogBodies", out on)))
        {
            return null;
        }
        if (!bool.TryParse(on, out var enabled))
        {
            throw new RouteDefinitionException($"metadata log-bodies '{on}' must be true or false");
        }
        var max = Millis(metadata, "log-bodies-max-bytes") ?? Millis(metadata, "LogBodiesMaxBytes") ?? DefaultLogBodiesMaxBytes;
        if (max is < 1 or > 1024 * 1024)
        {
            throw new RouteDefinitionException($"metadata log-bodies-max-bytes '{max}' must be between 1 and 1048576");
        }
        return enabled ? (int)max : null;
    }

    // Spring reads these as a number of ms; a Spring Boot duration (5s, PT5S) is taken too, with the same meaning.
    private static TimeSpan? Duration(Dictionary<string, string> metadata, string key)
    {
        if (!metadata.TryGetValue(key, out var text))
        {
            return null;
        }
        return SpringDuration.TryParse(text, out var d)
            ? d.Value : throw new RouteDefinitionException($"metadata {key} '{text}' is not a duration: expected {SpringDuration.Expected}");
    }

    private static long? Millis(Dictionary<string, string> metadata, string key)
    {
        if (!metadata.TryGetValue(key, out var text))
        {
            return null;
        }
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v : throw new RouteDefinitionException($"metadata {key} '{text}' is not an integer");
    }
}
