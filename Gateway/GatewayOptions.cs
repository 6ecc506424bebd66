using System.ComponentModel.DataAnnotations;
using Infrastructure.Gateway.Resilience;
using Infrastructure.ServiceDefaults.Configuration;

namespace Infrastructure.Gateway;

/// <summary>
/// The <c>Gateway</c> configuration section (routes and default filters are read by the route locator from
/// <c>Gateway:Routes</c> and <c>Gateway:DefaultFilters</c>; the load balancer from <c>Gateway:LoadBalancer</c>).
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>The section name.</summary>
    public const string SectionName = "Gateway";

    /// <summary>Outgoing connection settings (Spring's <c>spring.cloud.gateway.httpclient.*</c>).</summary>
    [Required]
    public HttpClientSettings HttpClient { get; set; } = new();

    /// <summary>Routes generated from the registry.</summary>
    [Required]
    public DiscoverySettings Discovery { get; set; } = new();

    /// <summary>Circuit breakers by name, with a <c>Default</c> entry for names not listed.</summary>
    public Dictionary<string, CircuitBreakerSettings> CircuitBreakers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether to add the RFC 7239 <c>Forwarded</c> header (Spring's <c>forwarded.enabled</c>). Default true.</summary>
    public bool ForwardedEnabled { get; set; } = true;

    /// <summary>Whether to add <c>X-Forwarded-For/Proto/Host/Port/Prefix</c> (Spring's <c>x-forwarded.enabled</c>). Default true.</summary>
    public bool XForwardedEnabled { get; set; } = true;

    /// <summary>Token-bucket storage for RequestRateLimiter.</summary>
    [Required]
    public RateLimiterSettings RateLimiter { get; set; } = new();

    /// <summary>The circuit breaker settings for <paramref name="name"/>: its own entry, else <c>Default</c>, else Hystrix's defaults.</summary>
    public CircuitBreakerSettings CircuitBreaker(string name) =>
        CircuitBreakers.TryGetValue(name, out var s) ? s : CircuitBreakers.TryGetValue("Default", out var d) ? d : new CircuitBreakerSettings();
}

/// <summary>Outgoing HTTP client settings.</summary>
public sealed class HttpClientSettings
{
    /// <summary>TCP connect timeout in ms (Spring's <c>httpclient.connect-timeout</c>); per route: metadata <c>connect-timeout</c>; 0 = none (Netty's meaning). Default 45000.</summary>
    [Range(0, int.MaxValue)]
    public int ConnectTimeout { get; set; } = 45_000;

    /// <summary>
    /// Time to the response headers per attempt (Spring's <c>httpclient.response-timeout</c>, a Spring Boot duration:
    /// <c>5s</c>, <c>500ms</c>, <c>PT5S</c>, or a number of ms); per route: metadata <c>response-timeout</c>; 0 = none. Default 0.
    /// </summary>
    public SpringDuration ResponseTimeout { get; set; }

    /// <summary>Connections per upstream host:port. Default unlimited.</summary>
    [Range(1, int.MaxValue)]
    public int MaxConnectionsPerServer { get; set; } = int.MaxValue;

    /// <summary>Idle pooled connections are closed after this many seconds. Default 60.</summary>
    [Range(1, int.MaxValue)]
    public int PooledConnectionIdleTimeoutSeconds { get; set; } = 60;
}

/// <summary><c>Gateway:Discovery</c>.</summary>
public sealed class DiscoverySettings
{
    /// <summary>The discovery locator.</summary>
    [Required]
    public DiscoveryLocatorSettings Locator { get; set; } = new();
}

/// <summary>Spring's <c>discovery.locator.*</c>: one <c>lb://</c> route per registered service.</summary>
public sealed class DiscoveryLocatorSettings
{
    /// <summary>Whether every service is reachable at <c>/{service-id}/**</c>. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Prefix of the generated route ids. Default <c>ReactiveCompositeDiscoveryClient_</c> (Spring's).</summary>
    public string RouteIdPrefix { get; set; } = "ReactiveCompositeDiscoveryClient_";
}

/// <summary>Where RequestRateLimiter keeps its buckets.</summary>
public sealed class RateLimiterSettings
{
    /// <summary>StackExchange.Redis configuration string; when set, buckets live in Redis and are shared by all gateway replicas. Default: in memory.</summary>
    public string? Redis { get; set; }
}
