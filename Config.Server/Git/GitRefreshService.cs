using Infrastructure.ServiceDefaults.Lifetime;
using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Git;

/// <summary>Clones on start and, when <see cref="GitOptions.RefreshRate"/> is positive, fetches on that period so new commits publish refresh events without a request.</summary>
internal sealed partial class GitRefreshService(
    GitEnvironmentRepository repository, IOptions<GitOptions> options, TimeProvider time, ILogger<GitRefreshService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.RefreshRate <= 0)
        {
            await Task.Yield();
            await RefreshAsync(stoppingToken);
            return;
        }
        var period = TimeSpan.FromSeconds(options.Value.RefreshRate);
        await BackgroundLoop.RunNowAndEveryAsync("git-refresh", () => period, RefreshAsync, time, logger, stoppingToken);
    }

    private async ValueTask RefreshAsync(CancellationToken stoppingToken)
    {
        try
        {
            await repository.RefreshNowAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogRefreshFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Git refresh failed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception e);
}
