using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Sidecar.Xds;
using Microsoft.Extensions.Primitives;

namespace Infrastructure.Mesh.Sidecar.Outbound;

/// <summary>What a VirtualService match looks at in one outbound request.</summary>
internal sealed record RouteRequest(
    string Path,
    string Method,
    string Authority,
    Func<string, string?> Header,
    Func<string, string?> Query,
    IReadOnlyDictionary<string, string> SourceLabels,
    int Port = 80);

/// <summary>The VirtualService rule that applies (null: the default route to the host itself).</summary>
internal sealed record RouteChoice(MeshResource? VirtualService, HTTPRoute? Rule, HTTPMatchRequest? Match = null);

/// <summary>Istio's routing decisions for one outbound request: host names, the VirtualService rule, the weighted destination, the subset.</summary>
internal static class RouteSelection
{
    private const string ServiceSuffix = ".svc.cluster.local";

    /// <summary>The registry's service name for a host: <c>reviews</c>, <c>reviews.default</c>, <c>reviews.default.svc.cluster.local</c> and <c>REVIEWS:9080</c> are all <c>reviews</c>.</summary>
    public static string ServiceName(string host)
    {
        var name = host.ToLowerInvariant();
        var colon = name.LastIndexOf(':');
        if (colon > 0 && !name.Contains(']', StringComparison.Ordinal) && name.IndexOf(':', StringComparison.Ordinal) == colon)
        {
            name = name[..colon];
        }
        if (name.EndsWith(ServiceSuffix, StringComparison.Ordinal))
        {
            name = name[..^ServiceSuffix.Length];
        }
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        // "<svc>.<namespace>": only the namespace the registry has.
        return dot > 0 && name[(dot + 1)..] == "default" ? name[..dot] : name;
    }

    /// <summary>The first rule of the first VirtualService for <paramref name="service"/> that matches the request.</summary>
    public static RouteChoice Choose(MeshConfig config, string service, RouteRequest request)
    {
        foreach (var (resource, vs) in config.VirtualServices)
        {
            if (vs.Gateways.Count > 0 && !vs.Gateways.Contains("mesh"))
            {
                continue;
            }
            if (!vs.Hosts.Any(h => h == "*" || ServiceName(h) == service))
            {
                continue;
            }
            foreach (var rule in vs.Http)
            {
                if (rule.Match.Count == 0)
                {
                    return new RouteChoice(resource, rule);
                }
                if (rule.Match.FirstOrDefault(m => Matches(m, request)) is { } matched)
                {
                    return new RouteChoice(resource, rule, matched);
                }
            }
            // A VirtualService for the host with no matching rule: Envoy answers 404 (no route); keep it visible.
            return new RouteChoice(resource, null);
        }
        return new RouteChoice(null, null);
    }

    /// <summary>One match block: every condition in it must hold.</summary>
    public static bool Matches(HTTPMatchRequest m, RouteRequest r)
    {
        if (m.Uri is not null && !m.Uri.Matches(r.Path, m.IgnoreUriCase))
        {
            return false;
        }
        if (m.Method is not null && !m.Method.Matches(r.Method))
        {
            return false;
        }
        if (m.Authority is not null && !m.Authority.Matches(r.Authority))
        {
            return false;
        }
        if (m.Port != 0 && m.Port != r.Port)
        {
            return false;
        }
        if (m.Scheme is not null && !m.Scheme.Matches("http"))
        {
            return false;
        }
        foreach (var (name, match) in m.Headers)
        {
            if (!match.Matches(r.Header(name)))
            {
                return false;
            }
        }
        foreach (var (name, match) in m.WithoutHeaders)
        {
            if (r.Header(name) is { } present && match.Matches(present))
            {
                return false;
            }
        }
        foreach (var (name, match) in m.QueryParams)
        {
            if (!match.Matches(r.Query(name)))
            {
                return false;
            }
        }
        foreach (var (key, value) in m.SourceLabels)
        {
            if (!r.SourceLabels.TryGetValue(key, out var mine) || mine != value)
            {
                return false;
            }
        }
        return string.IsNullOrEmpty(m.SourceNamespace) || m.SourceNamespace == "default";
    }

    /// <summary>A destination by weight (share = weight / sum; a single destination takes everything).</summary>
    public static HTTPRouteDestination? PickWeighted(IReadOnlyList<HTTPRouteDestination> route, double random)
    {
        if (route.Count == 0)
        {
            return null;
        }
        if (route.Count == 1)
        {
            return route[0];
        }
        var total = route.Sum(d => (long)Math.Max(0, d.Weight));
        if (total == 0)
        {
            return route[0];
        }
        var point = random * total;
        long cumulative = 0;
        foreach (var d in route)
        {
            cumulative += Math.Max(0, d.Weight);
            if (point < cumulative)
            {
                return d;
            }
        }
        return route[^1];
    }

    /// <summary>The DestinationRule for a service, if any.</summary>
    public static DestinationRule? RuleFor(MeshConfig config, string service) =>
        config.DestinationRules.Select(d => d.Spec).FirstOrDefault(d => ServiceName(d.Host) == service);

    /// <summary>The traffic policy in force for a subset: the subset's own settings over the rule's.</summary>
    public static TrafficPolicy? PolicyFor(DestinationRule? rule, string? subset)
    {
        var top = rule?.TrafficPolicy;
        var own = string.IsNullOrEmpty(subset) ? null : rule?.Subsets.FirstOrDefault(s => s.Name == subset)?.TrafficPolicy;
        if (own is null)
        {
            return top;
        }
        if (top is null)
        {
            return own;
        }
        var merged = top.Clone();
        if (own.LoadBalancer is not null) { merged.LoadBalancer = own.LoadBalancer; }
        if (own.ConnectionPool is not null) { merged.ConnectionPool = own.ConnectionPool; }
        if (own.OutlierDetection is not null) { merged.OutlierDetection = own.OutlierDetection; }
        if (own.Tls is not null) { merged.Tls = own.Tls; }
        return merged;
    }

    /// <summary>The labels an instance must carry for a subset (null: the subset is not defined, Envoy answers 503).</summary>
    public static IReadOnlyDictionary<string, string>? SubsetLabels(DestinationRule? rule, string? subset)
    {
        if (string.IsNullOrEmpty(subset))
        {
            return new Dictionary<string, string>();
        }
        return rule?.Subsets.FirstOrDefault(s => s.Name == subset)?.Labels;
    }

    /// <summary>Whether an instance (its metadata plus <c>app</c>) carries every label.</summary>
    public static bool HasLabels(string service, IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, string> labels) =>
        labels.All(l => l.Key == "app" ? l.Value == service || (metadata.TryGetValue("app", out var a) && a == l.Value)
            : metadata.TryGetValue(l.Key, out var v) && v == l.Value);

    /// <summary>The first value of a header or query parameter, or null.</summary>
    public static string? First(StringValues values) => values.Count == 0 ? null : values[0];
}
