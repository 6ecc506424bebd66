using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Git;

/// <summary>Clones on start and, when <see cref="GitOptions.RefreshRate"/> is positive, fetches on that period so new commits publish refresh events without a request.</summary>
internal sealed partial class GitRefreshService(GitEnvironmentRepository repository, IOptions<GitOptions> options, ILogger<GitRefreshService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var period = TimeSpan.FromSeconds(Math.Max(1, options.Value.RefreshRate));
        do
        {
            try
            {
                await repository.RefreshNowAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRefreshFailed(logger, e);
            }
            if (options.Value.RefreshRate <= 0)
            {
                return;
            }
            try
            {
                // Task.Delay takes at most about 49 days; Spring's refresh rate may be longer.
                for (var left = period; left > TimeSpan.Zero;)
                {
                    var step = left < TimeSpan.FromDays(1) ? left : TimeSpan.FromDays(1);
                    await Task.Delay(step, stoppingToken);
                    left -= step;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        while (!stoppingToken.IsCancellationRequested);
    }

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Git refresh failed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception e);
}
