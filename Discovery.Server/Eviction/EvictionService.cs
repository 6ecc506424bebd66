using Infrastructure.Discovery.Server.Registry;
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
        Every(() => options.CurrentValue.EvictionIntervalTimerInMs, EvictOnce, stoppingToken),
        Every(() => options.CurrentValue.RenewalThresholdUpdateIntervalMs, registry.UpdateRenewalThreshold, stoppingToken));

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

    private async Task Every(Func<int> intervalMs, Action work, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(intervalMs()), time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            work();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Evicted expired lease {App}/{InstanceId}")]
    private static partial void LogEvicted(ILogger logger, string app, string instanceId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Self-preservation: {Renews} renews in the last minute, threshold {Threshold}; not evicting")]
    private static partial void LogSelfPreservation(ILogger logger, long renews, int threshold);
}
