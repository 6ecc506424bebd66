using System.Threading.Channels;
using Infrastructure.ServiceDefaults.Lifetime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Infrastructure.ServiceDefaults.Tests.Lifetime;

public sealed class BackgroundLoopTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    // Only a guard against a hung test; nothing is timed.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RunEveryAsync_IterationThrows_LoggedAsErrorWithExceptionAndNextTickRuns()
    {
        var time = new FakeTimeProvider();
        var logger = new ListLogger();
        var calls = 0;
        var secondTick = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();

        var loop = BackgroundLoop.RunEveryAsync("cache refresh", () => Interval, () =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new InvalidOperationException("boom");
            }
            secondTick.TrySetResult();
        }, time, logger, stop.Token);
        await AdvanceUntilAsync(time, secondTick.Task, loop);

        Assert.False(loop.IsCompleted, $"the loop ended after a failing iteration: {loop.Status}");
        Assert.True(secondTick.Task.IsCompleted);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal("boom", Assert.IsType<InvalidOperationException>(entry.Exception).Message);
        Assert.Contains("cache refresh", entry.Message, StringComparison.Ordinal);

        await stop.CancelAsync();
        await loop.WaitAsync(Hang);
        Assert.True(loop.IsCompletedSuccessfully);
        Assert.Single(logger.Entries);
    }

    [Fact]
    public async Task RunEveryAsync_BeforeFirstInterval_DoesNotRun()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        using var stop = new CancellationTokenSource();

        var loop = BackgroundLoop.RunEveryAsync("idle", () => Interval, () => Interlocked.Increment(ref calls), time, new ListLogger(), stop.Token);
        time.Advance(Interval - TimeSpan.FromMilliseconds(1));

        Assert.Equal(0, Volatile.Read(ref calls));
        await stop.CancelAsync();
        await loop.WaitAsync(Hang);
        Assert.True(loop.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task RunNowAndEveryAsync_FirstRunThrows_LoggedWithLoopNameAndNextTickRuns()
    {
        var time = new FakeTimeProvider();
        var logger = new ListLogger();
        var calls = 0;
        var firstRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();

        var loop = BackgroundLoop.RunNowAndEveryAsync("key maintenance", () => Interval, _ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                firstRun.TrySetResult();
                throw new TimeoutException("store unreachable");
            }
            secondRun.TrySetResult();
            return ValueTask.CompletedTask;
        }, time, logger, stop.Token);
        // The first run needs no tick of the clock.
        await firstRun.Task.WaitAsync(Hang);
        await AdvanceUntilAsync(time, secondRun.Task, loop);

        Assert.True(secondRun.Task.IsCompleted);
        Assert.False(loop.IsCompleted, $"the loop ended after a failing run: {loop.Status}");
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.IsType<TimeoutException>(entry.Exception);
        Assert.Contains("key maintenance", entry.Message, StringComparison.Ordinal);

        await stop.CancelAsync();
        await loop.WaitAsync(Hang);
        Assert.True(loop.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task RunEveryAsync_IntervalLongerThanOneTimerTakes_WaitsItOutWithoutError()
    {
        // A timer takes at most about 49.7 days; Spring accepts longer git refresh rates.
        var interval = TimeSpan.FromDays(60);
        var time = new FakeTimeProvider();
        var logger = new ListLogger();
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var start = time.GetUtcNow();
        var ranAt = DateTimeOffset.MinValue;

        // On the pool: a loop that cannot wait spins without yielding, and must fail this test rather than hang it.
        var loop = Task.Run(() => BackgroundLoop.RunEveryAsync("git refresh", () => interval, () =>
        {
            ranAt = time.GetUtcNow();
            ran.TrySetResult();
        }, time, logger, stop.Token));
        await AdvanceUntilAsync(time, ran.Task, loop, TimeSpan.FromDays(1));

        Assert.True(ran.Task.IsCompleted, $"never ran; loop {loop.Status}, log: {string.Join(" | ", logger.Entries.Select(e => e.Message))}");
        Assert.True(ranAt - start >= interval, $"ran after {ranAt - start}");
        Assert.Empty(logger.Entries);
        await stop.CancelAsync();
        await loop.WaitAsync(Hang);
    }

    [Fact]
    public async Task RunForEachAsync_ItemThrows_LoggedAndLaterItemsHandled()
    {
        var logger = new ListLogger();
        var queue = Channel.CreateUnbounded<int>();
        var handled = new List<int>();
        foreach (var i in (int[])[1, 2, 3])
        {
            await queue.Writer.WriteAsync(i);
        }
        queue.Writer.Complete();

        await BackgroundLoop.RunForEachAsync("replication", queue.Reader.ReadAllAsync(), (item, _) =>
        {
            if (item == 2)
            {
                throw new HttpRequestException("peer answered garbage");
            }
            handled.Add(item);
            return Task.CompletedTask;
        }, logger, CancellationToken.None).WaitAsync(Hang);

        Assert.Equal([1, 3], handled);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.IsType<HttpRequestException>(entry.Exception);
    }

    /// <summary>Advances the fake clock one interval (or <paramref name="step"/>) at a time: the loop re-arms its timer after each run, asynchronously.</summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Task done, Task loop, TimeSpan? step = null)
    {
        var deadline = DateTime.UtcNow + Hang;
        while (!done.IsCompleted && !loop.IsCompleted && DateTime.UtcNow < deadline)
        {
            time.Advance(step ?? Interval);
            await Task.WhenAny(done, loop, Task.Delay(20));
        }
    }

    private sealed record Entry(LogLevel Level, string Message, Exception? Exception);

    private sealed class ListLogger : ILogger
    {
        private readonly List<Entry> _entries = [];

        public IReadOnlyList<Entry> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries)
            {
                _entries.Add(new Entry(logLevel, formatter(state, exception), exception));
            }
        }
    }
}
