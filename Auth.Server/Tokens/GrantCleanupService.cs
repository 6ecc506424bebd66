using Infrastructure.Auth.Server.Stores;

namespace Infrastructure.Auth.Server.Tokens;

/// <summary>Removes expired grants periodically (IdentityServer4's token cleanup).</summary>
internal sealed class GrantCleanupService(IPersistedGrantStore grants, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(5), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await grants.RemoveExpiredAsync(time.GetUtcNow(), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store may be briefly unreachable; the next tick retries.
            }
        }
    }
}
