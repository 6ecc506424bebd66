using Microsoft.Extensions.Logging;

namespace Infrastructure.ServiceDefaults.Lifetime;

/// <summary>
/// The periodic timers of every server: an iteration that fails is logged with the loop's name and the loop goes on;
/// only shutdown ends it. The clock is a <see cref="TimeProvider"/>, so tests drive it with a fake one.
/// </summary>
public static partial class BackgroundLoop
{
    // A timer waits at most about 49.7 days; a longer interval (Spring's git refresh rate may be one) is waited in steps.
    private static readonly TimeSpan LongestStep = TimeSpan.FromDays(1);

    /// <summary>Runs <paramref name="work"/> every <paramref name="interval"/> (read before each wait, so reloaded options apply) until <paramref name="stoppingToken"/> is cancelled.</summary>
    public static Task RunEveryAsync(
        string name, Func<TimeSpan> interval, Func<CancellationToken, ValueTask> work,
        TimeProvider time, ILogger logger, CancellationToken stoppingToken) =>
        RunAsync(name, runFirst: false, interval, work, time, logger, stoppingToken);

    /// <summary>The synchronous form of <see cref="RunEveryAsync(string, Func{TimeSpan}, Func{CancellationToken, ValueTask}, TimeProvider, ILogger, CancellationToken)"/>.</summary>
    public static Task RunEveryAsync(
        string name, Func<TimeSpan> interval, Action work, TimeProvider time, ILogger logger, CancellationToken stoppingToken) =>
        RunAsync(name, runFirst: false, interval, Synchronous(work), time, logger, stoppingToken);

    /// <summary>Runs <paramref name="work"/> at once, then every <paramref name="interval"/>, as <see cref="RunEveryAsync(string, Func{TimeSpan}, Func{CancellationToken, ValueTask}, TimeProvider, ILogger, CancellationToken)"/>.</summary>
    public static Task RunNowAndEveryAsync(
        string name, Func<TimeSpan> interval, Func<CancellationToken, ValueTask> work,
        TimeProvider time, ILogger logger, CancellationToken stoppingToken) =>
        RunAsync(name, runFirst: true, interval, work, time, logger, stoppingToken);

    private static async Task RunAsync(
        string name, bool runFirst, Func<TimeSpan> interval, Func<CancellationToken, ValueTask> work,
        TimeProvider time, ILogger logger, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(interval);
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(time);
        if (runFirst)
        {
            // Off the caller's thread: a hosted service's first run (a git clone, a store query) must not hold up start-up.
            await Task.Yield();
        }
        var wait = !runFirst;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (wait)
                {
                    await DelayAsync(interval(), time, stoppingToken).ConfigureAwait(false);
                }
                wait = true;
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

    private static Func<CancellationToken, ValueTask> Synchronous(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return _ =>
        {
            work();
            return ValueTask.CompletedTask;
        };
    }

    private static async Task DelayAsync(TimeSpan interval, TimeProvider time, CancellationToken ct)
    {
        var left = interval;
        do
        {
            var step = left < LongestStep ? left : LongestStep;
            await Task.Delay(step, time, ct).ConfigureAwait(false);
            left -= step;
        }
        while (left > TimeSpan.Zero);
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Error, Message = "Background loop {Loop}: an iteration failed; the loop goes on")]
    private static partial void LogIterationFailed(ILogger logger, Exception exception, string loop);
}
