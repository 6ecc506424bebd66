using Infrastructure.Auth.Server.Stores;
using Infrastructure.ServiceDefaults.Lifetime;

namespace Infrastructure.Auth.Server.Tokens;

/// <summary>Removes expired grants every five minutes (IdentityServer4's token cleanup); a failed pass (the store briefly unreachable) is logged and the next one retries.</summary>
internal sealed class GrantCleanupService(IPersistedGrantStore grants, TimeProvider time, ILogger<GrantCleanupService> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        BackgroundLoop.RunEveryAsync("grant-cleanup", () => Interval,
            async ct => await grants.RemoveExpiredAsync(time.GetUtcNow(), ct), time, logger, stoppingToken);
}
