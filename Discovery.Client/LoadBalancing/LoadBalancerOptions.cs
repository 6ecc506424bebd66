using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Discovery.Client.LoadBalancing;

/// <summary>Client-side load-balancer settings (Ribbon's <c>ribbon.*</c> / Spring Cloud LoadBalancer keys), bound from a configuration section.</summary>
public sealed class LoadBalancerOptions
{
    /// <summary>Default rule for every service (a <see cref="LoadBalancerRules"/> name). Default <c>RoundRobin</c>.</summary>
    [Required]
    public string Rule { get; set; } = LoadBalancerRules.RoundRobin;

    /// <summary>This caller's zone, for <c>ZoneAvoidance</c> (Eureka metadata <c>zone</c>). Default none.</summary>
    public string? Zone { get; set; }

    /// <summary>Instances with this many outstanding requests or more are skipped by <c>AvailabilityFiltering</c> (Ribbon's <c>ActiveConnectionsLimit</c>); 0 or less = unlimited. Default unlimited.</summary>
    public int ActiveConnectionsLimit { get; set; } = int.MaxValue;

    /// <summary>Consecutive connection failures that trip an instance (Ribbon's <c>connectionFailureCountThreshold</c>). Default 3.</summary>
    public int ConnectionFailureCountThreshold { get; set; } = 3;

    /// <summary>Base blackout after tripping, doubled for each further failure (Ribbon's <c>circuitTripTimeoutFactorSeconds</c>). Default 10.</summary>
    public int CircuitTripTimeoutFactorSeconds { get; set; } = 10;

    /// <summary>Longest blackout of a tripped instance (Ribbon's <c>circuitTripMaxTimeoutSeconds</c>). Default 30.</summary>
    public int CircuitTripMaxTimeoutSeconds { get; set; } = 30;

    /// <summary>How many other instances a failed connection is retried on (Ribbon's <c>MaxAutoRetriesNextServer</c>); below 0 reads as 0. Default 1.</summary>
    public int MaxAutoRetriesNextServer { get; set; } = 1;

    /// <summary>
    /// Time in ms to wait for the response headers once the request is sent, per attempt (Ribbon's <c>ReadTimeout</c>,
    /// 1000 in Spring Cloud Netflix); a timed-out idempotent request goes to the next instance and counts toward tripping
    /// the instance, as Ribbon's read timeouts do. Applied by the Gateway on <c>lb://</c> routes that set no
    /// <c>response-timeout</c> of their own; 0 or less = none. Default 1000.
    /// </summary>
    public int ReadTimeout { get; set; } = 1000;

    /// <summary>
    /// Whether every rule skips instances whose circuit is tripped (outlier ejection) while any other instance is left
    /// (Ribbon's <c>filterCircuitTripped</c>, on in Spring Cloud Netflix's default ZoneAvoidanceRule). Default true.
    /// </summary>
    public bool FilterCircuitTripped { get; set; } = true;

    /// <summary>Whether a non-idempotent request (POST, PATCH) may be retried on the next instance after a connection failure (Ribbon's <c>OkToRetryOnAllOperations</c>). Default false.</summary>
    public bool OkToRetryOnAllOperations { get; set; }

    /// <summary>Per-service overrides: <c>Clients:{serviceId}:Rule</c>.</summary>
    public Dictionary<string, ClientLoadBalancerOptions> Clients { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The read timeout for <paramref name="serviceId"/> in ms: its own override, else <see cref="ReadTimeout"/>.</summary>
    public int ReadTimeoutFor(string serviceId) =>
        Clients.TryGetValue(serviceId, out var c) && c.ReadTimeout is { } t ? t : ReadTimeout;

    /// <summary>The rule for <paramref name="serviceId"/>: its own override, else <see cref="Rule"/>.</summary>
    public string RuleFor(string serviceId) =>
        Clients.TryGetValue(serviceId, out var c) && !string.IsNullOrWhiteSpace(c.Rule) ? c.Rule : Rule;
}

/// <summary>Per-service load-balancer overrides.</summary>
public sealed class ClientLoadBalancerOptions
{
    /// <summary>Rule for this service (a <see cref="LoadBalancerRules"/> name). Default: the global rule.</summary>
    public string? Rule { get; set; }

    /// <summary>
    /// Read timeout for this service in ms (Ribbon's <c>{client}.ribbon.ReadTimeout</c>), e.g. longer for a service that
    /// retries its own downstream calls; 0 = none. Default: the global <c>ReadTimeout</c>.
    /// </summary>
    public int? ReadTimeout { get; set; }
}
