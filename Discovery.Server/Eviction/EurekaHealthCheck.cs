using Infrastructure.Discovery.Server.Registry;
using Infrastructure.Discovery.Server.Replication;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Eviction;

/// <summary>Reports registry size, renews against the threshold and self-preservation in <c>/actuator/health</c>.</summary>
internal sealed class EurekaHealthCheck(
    InstanceRegistry registry,
    IPeerReplicator replicator,
    IOptionsMonitor<EurekaServerOptions> options) : IHealthCheck
{
    /// <summary>Eureka's dashboard banner when renews fall below the threshold.</summary>
    public const string EmergencyText =
        "EMERGENCY! EUREKA MAY BE INCORRECTLY CLAIMING INSTANCES ARE UP WHEN THEY'RE NOT. RENEWALS ARE LESSER THAN THRESHOLD AND HENCE THE INSTANCES ARE NOT BEING EXPIRED JUST TO BE SAFE.";

    /// <summary>Eureka's dashboard banner when self-preservation is turned off.</summary>
    public const string SelfPreservationOffText =
        "THE SELF PRESERVATION MODE IS TURNED OFF. THIS MAY NOT PROTECT INSTANCE EXPIRY IN CASE OF NETWORK/OTHER PROBLEMS.";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var active = registry.IsSelfPreservationActive();
        var peers = replicator.Peers;
        var data = new Dictionary<string, object>
        {
            ["instances"] = registry.Count,
            ["renewsLastMinute"] = registry.RenewsLastMinute.LastMinute(),
            ["renewsThreshold"] = registry.NumberOfRenewsPerMinThreshold,
            ["expectedClientsSendingRenews"] = registry.ExpectedNumberOfClientsSendingRenews,
            ["selfPreservationEnabled"] = options.CurrentValue.EnableSelfPreservation,
            ["selfPreservationActive"] = active,
            ["leaseExpirationEnabled"] = registry.IsLeaseExpirationEnabled(),
            ["peers"] = peers.Count,
            ["peersReachable"] = peers.Count(p => p.Reachable == true),
        };
        // Self-preservation is a degraded but serving state: Spring reports it UP with details, so do we.
        return Task.FromResult(active
            ? HealthCheckResult.Degraded(EmergencyText, data: data)
            : HealthCheckResult.Healthy(options.CurrentValue.EnableSelfPreservation ? "Leases expire normally" : SelfPreservationOffText, data));
    }
}
