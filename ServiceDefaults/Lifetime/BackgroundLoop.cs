using Microsoft.Extensions.Logging;

namespace Infrastructure.ServiceDefaults.Lifetime;

/// <summary>Background loops that survive a failing iteration: it is logged at once and the loop goes on; only shutdown ends it.</summary>
public static partial class BackgroundLoop
{
    /// <summary>Runs <paramref name="work"/> every <paramref name="interval"/> (read before each wait, so reloaded options apply) until <paramref name="stoppingToken"/> is cancelled.</summary>
    public static async Task RunEveryAsync(
        string name, Func<TimeSpan> interval, Func<CancellationToken, ValueTask> work,
        TimeProvider time, ILogger logger, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(interval);
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval(), time, stoppingToken).ConfigureAwait(false);
                await work(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A loop that dies quietly leaves the server serving stale state until restart; one bad tick must not do that.
                LogIterationFailed(logger, ex, name);
            }
        }
    }

    /// <summary>The synchronous form of <see cref="RunEveryAsync(string, Func{TimeSpan}, Func{CancellationToken, ValueTask}, TimeProvider, ILogger, CancellationToken)"/>.</summary>
    public static Task RunEveryAsync(
        string name, Func<TimeSpan> interval, Action work, TimeProvider time, ILogger logger, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunEveryAsync(name, interval, _ =>
        {
            work();
            return ValueTask.CompletedTask;
        }, time, logger, stoppingToken);
    }

    /// <summary>Handles each item of <paramref name="items"/> (a queue) in turn until it completes or <paramref name="stoppingToken"/> is cancelled; a failing item is logged and skipped.</summary>
    public static async Task RunForEachAsync<T>(
        string name, IAsyncEnumerable<T> items, Func<T, CancellationToken, Task> work, ILogger logger, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            await foreach (var item in items.WithCancellation(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await work(item, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    LogIterationFailed(logger, ex, name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Error, Message = "Background loop {Loop}: an iteration failed; the loop goes on")]
    private static partial void LogIterationFailed(ILogger logger, Exception exception, string loop);
}
