using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Resilience;
using Polly;

namespace Infrastructure.Gateway.Routing;

/// <summary>Where a route came from: configuration routes cannot be deleted through the actuator.</summary>
internal enum RouteSource { Configuration, Actuator, Discovery }

/// <summary>A compiled, immutable route: predicates, filters sorted by kind, its resilience pipeline and target.</summary>
internal sealed class Route
{
    public required string Id { get; init; }
    public required RouteDefinition Definition { get; init; }
    public required RouteSource Source { get; init; }
    public required int Order { get; init; }

    /// <summary>Position in the definition list, breaking order ties.</summary>
    public int Index { get; set; }

    /// <summary><c>http://host:port</c> for static routes; null for <c>lb://</c> routes.</summary>
    public string? StaticBase { get; init; }

    /// <summary>The service of an <c>lb://</c> route.</summary>
    public string? ServiceId { get; init; }

    public required IRoutePredicate[] Predicates { get; init; }
    public required PathPattern[] PathPatterns { get; init; }
    public required GatewayFilter[] Filters { get; init; }
    public required IPreFilter[] PreFilters { get; init; }
    public required IRequestPathTransform[] PathTransforms { get; init; }
    public required IRequestHeadersTransform[] HeaderTransforms { get; init; }
    public required IResponseTransform[] ResponseTransforms { get; init; }

    public ResiliencePipeline<HttpResponseMessage>? Pipeline { get; init; }
    public CircuitBreakerFilter? CircuitBreaker { get; init; }

    /// <summary>Per-instance breaker (metadata <c>instance-circuit-breaker</c>): its name and settings; null when off.</summary>
    public (string Name, CircuitBreakerSettings Settings)? InstanceBreaker { get; init; }

    /// <summary>Per-route connect timeout (metadata <c>connect-timeout</c>), null for the client's default.</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>Per-attempt time to the response headers once the request is sent; null for none.</summary>
    public TimeSpan? ResponseTimeout { get; init; }

    /// <summary>Per-route rule (metadata <c>lb-rule</c>), null for the service's configured rule.</summary>
    public string? LoadBalancerRule { get; init; }
    public required int MaxAutoRetriesNextServer { get; init; }
    public required bool RetryNonIdempotent { get; init; }

    /// <summary>Access-log body capture (metadata <c>log-bodies</c>): bytes kept per body, null when off.</summary>
    public int? LogBodiesMaxBytes { get; init; }

    /// <summary>Scopes a bearer token must carry (metadata <c>required-scopes</c>, space or comma separated).</summary>
    public required string[] RequiredScopes { get; init; }
}
