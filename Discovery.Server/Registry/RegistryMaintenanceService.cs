using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Registry;

/// <summary>Timers of the registry: delta-queue retention and read-only response cache refresh.</summary>
internal sealed class RegistryMaintenanceService(
    InstanceRegistry registry,
    ResponseCache cache,
    TimeProvider time,
    IOptionsMonitor<EurekaServerOptions> options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        Every(() => options.CurrentValue.DeltaRetentionTimerIntervalInMs, registry.PruneRecentlyChanged, stoppingToken),
        Every(() => options.CurrentValue.ResponseCacheUpdateIntervalMs, cache.RefreshReadOnly, stoppingToken));

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
}
