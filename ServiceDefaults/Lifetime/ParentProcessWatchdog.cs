using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Infrastructure.ServiceDefaults.Lifetime;

/// <summary>
/// Stops the host when the launching process (named by <c>INFRA_PARENT_PID</c>) is gone, so a lab killed with
/// SIGKILL — which cannot forward a signal to its children — leaves no orphan servers holding its ports.
/// </summary>
internal sealed partial class ParentProcessWatchdog(IHostApplicationLifetime lifetime, ILogger<ParentProcessWatchdog> logger) : BackgroundService
{
    public const string Variable = "INFRA_PARENT_PID";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (!IsAlive(pid))
            {
                LogParentGone(logger, pid);
                lifetime.StopApplication();
                return;
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Parent process {Pid} is gone; shutting down")]
    private static partial void LogParentGone(ILogger logger, int pid);
}
