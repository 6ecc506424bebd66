using Infrastructure.ServiceDefaults.Lifetime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Registry;

/// <summary>Timers of the registry: delta-queue retention and read-only response cache refresh.</summary>
internal sealed class RegistryMaintenanceService(
    InstanceRegistry registry,
    ResponseCache cache,
    TimeProvider time,
    IOptionsMonitor<EurekaServerOptions> options,
    ILogger<RegistryMaintenanceService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        BackgroundLoop.RunEveryAsync("delta-retention", () => TimeSpan.FromMilliseconds(options.CurrentValue.DeltaRetentionTimerIntervalInMs),
            registry.PruneRecentlyChanged, time, logger, stoppingToken),
        BackgroundLoop.RunEveryAsync("response-cache-refresh", () => TimeSpan.FromMilliseconds(options.CurrentValue.ResponseCacheUpdateIntervalMs),
            cache.RefreshReadOnly, time, logger, stoppingToken));
}
