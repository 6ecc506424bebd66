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
    private long _lastRun;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        BackgroundLoop.RunEveryAsync("eviction", () => TimeSpan.FromMilliseconds(options.CurrentValue.EvictionIntervalTimerInMs),
            () => EvictOnce(CompensationMs()), time, logger, stoppingToken),
        BackgroundLoop.RunEveryAsync("renewal-threshold", () => TimeSpan.FromMilliseconds(options.CurrentValue.RenewalThresholdUpdateIntervalMs),
            registry.UpdateRenewalThreshold, time, logger, stoppingToken));

    /// <summary>
    /// How much later than its interval this run came, in ms (Eureka's <c>getCompensationTimeMs</c>): time the process
    /// was stopped (SIGSTOP, a frozen VM, a long GC pause) or starved. Renewals could not reach it then, so leases are
    /// extended by as much; otherwise a paused node would evict on resuming every instance that kept renewing elsewhere.
    /// </summary>
    internal long CompensationMs()
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Exchange(ref _lastRun, now);
        if (last == 0)
        {
            return 0;
        }
        var late = time.GetElapsedTime(last, now).TotalMilliseconds - options.CurrentValue.EvictionIntervalTimerInMs;
        return late > 0 ? (long)late : 0;
    }

    /// <summary>One eviction pass: logs what went, or that self-preservation held it back.</summary>
    public void EvictOnce(long additionalLeaseMs = 0)
    {
        if (!registry.IsLeaseExpirationEnabled())
        {
            if (registry.Count > 0)
            {
                LogSelfPreservation(logger, registry.RenewsLastMinute.LastMinute(), registry.NumberOfRenewsPerMinThreshold);
            }
            return;
        }
        if (additionalLeaseMs > CompensationWorthLogging)
        {
            LogCompensated(logger, additionalLeaseMs);
        }
        foreach (var evicted in registry.Evict(additionalLeaseMs))
        {
            metrics.Evicted(evicted.Info.App);
            LogEvicted(logger, evicted.Info.App, evicted.Info.InstanceId);
        }
    }

    // A busy machine runs a timer a little late all the time; only a real pause is worth a line.
    private const long CompensationWorthLogging = 1000;

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Eviction ran {LateMs} ms late (the process was paused or starved); leases extended by as much")]
    private static partial void LogCompensated(ILogger logger, long lateMs);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Evicted expired lease {App}/{InstanceId}")]
    private static partial void LogEvicted(ILogger logger, string app, string instanceId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Self-preservation: {Renews} renews in the last minute, threshold {Threshold}; not evicting")]
    private static partial void LogSelfPreservation(ILogger logger, long renews, int threshold);
}
