using System.Diagnostics.Metrics;

namespace Infrastructure.Discovery.Server.Registry;

/// <summary>Registry gauges and counters on the <c>Infrastructure.Discovery.Server</c> meter (exported at <c>/actuator/prometheus</c>).</summary>
internal sealed class RegistryMetrics
{
    /// <summary>Meter name; ServiceDefaults exports every <c>Infrastructure.*</c> meter.</summary>
    public const string MeterName = "Infrastructure.Discovery.Server";

    private readonly Counter<long> _evictions;

    public RegistryMetrics(IMeterFactory meters, InstanceRegistry registry)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("eureka.registry.instances", () => registry.Count, description: "Registered instances");
        meter.CreateObservableGauge("eureka.renews.last_minute", () => registry.RenewsLastMinute.LastMinute(), description: "Renews received in the last minute");
        meter.CreateObservableGauge("eureka.renews.threshold", () => registry.NumberOfRenewsPerMinThreshold, description: "Renews per minute below which self-preservation starts");
        meter.CreateObservableGauge("eureka.self_preservation.active", () => registry.IsSelfPreservationActive() ? 1 : 0, description: "1 while eviction is suspended");
        _evictions = meter.CreateCounter<long>("eureka.evictions", description: "Leases evicted after expiring");
    }

    public void Evicted(string app) => _evictions.Add(1, new KeyValuePair<string, object?>("app", app));
}
