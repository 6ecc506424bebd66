using Infrastructure.Discovery.Server.Registry;
using Infrastructure.ServiceDefaults.Lifetime;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Eviction;

/// <summary>Eureka's eviction timer and renewal-threshold update timer.</summary>
internal sealed partial class EvictionService(
    InstanceRegistry registry,
    RegistryMetrics metrics,
    TimeProvider time,
    IOptionsMonitor<EurekaServerOptions> options,
    ILogger<EvictionService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        BackgroundLoop.RunEveryAsync("eviction", () => TimeSpan.FromMilliseconds(options.CurrentValue.EvictionIntervalTimerInMs),
            EvictOnce, time, logger, stoppingToken),
        BackgroundLoop.RunEveryAsync("renewal-threshold", () => TimeSpan.FromMilliseconds(options.CurrentValue.RenewalThresholdUpdateIntervalMs),
            registry.UpdateRenewalThreshold, time, logger, stoppingToken));

    /// <summary>One eviction pass: logs what went, or that self-preservation held it back.</summary>
    public void EvictOnce()
    {
        if (!registry.IsLeaseExpirationEnabled())
        {
            if (registry.Count > 0)
            {
                LogSelfPreservation(logger, registry.RenewsLastMinute.LastMinute(), registry.NumberOfRenewsPerMinThreshold);
            }
            return;
        }
        foreach (var evicted in registry.Evict())
        {
            metrics.Evicted(evicted.Info.App);
            LogEvicted(logger, evicted.Info.App, evicted.Info.InstanceId);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Evicted expired lease {App}/{InstanceId}")]
    private static partial void LogEvicted(ILogger logger, string app, string instanceId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Self-preservation: {Renews} renews in the last minute, threshold {Threshold}; not evicting")]
    private static partial void LogSelfPreservation(ILogger logger, long renews, int threshold);
}
