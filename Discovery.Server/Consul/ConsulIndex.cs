using System.Collections.Concurrent;
using Infrastructure.Discovery.Server.Registry;

namespace Infrastructure.Discovery.Server.Consul;

/// <summary>
/// Consul's <c>X-Consul-Index</c> over the registry: a counter moved by every change (per service too, so a watch on one
/// service is not woken by another), and the blocking-query wait on it.
/// </summary>
internal sealed class ConsulIndex
{
    /// <summary>Consul's cap on <c>wait</c>, and its default when a blocking query names none.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10);

    public static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, long> _byService = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;
    private long _index;
    private TaskCompletionSource _changed = NewSignal();

    public ConsulIndex(InstanceRegistry registry, TimeProvider time)
    {
        _time = time;
        // The registry is in memory, so the counter restarts with the process; starting it at the start time (ms) keeps
        // it above what clients saw before a restart, so their blocking queries return at once instead of hanging for
        // the whole wait on an index this process will take minutes to reach.
        _index = Math.Max(1, time.GetUtcNow().ToUnixTimeMilliseconds());
        registry.Changed += app =>
        {
            // An empty name is the delta queue's housekeeping, not a change anyone can see.
            if (app.Length > 0)
            {
                Bump(app);
            }
        };
    }

    /// <summary>The index of the whole registry.</summary>
    public long Current => Interlocked.Read(ref _index);

    /// <summary>The index of one service: when it last changed, or (never seen) the registry's, as Consul answers for an unknown service.</summary>
    public long Of(string service) => _byService.TryGetValue(service, out var i) ? i : Current;

    /// <summary>Records a change to <paramref name="service"/> (upper- or lower-case) and wakes blocking queries.</summary>
    public void Bump(string service)
    {
        var next = Interlocked.Increment(ref _index);
        _byService.AddOrUpdate(service, next, (_, old) => Math.Max(old, next));
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    /// <summary>
    /// Consul's blocking query: returns once <paramref name="index"/> passes <paramref name="minIndex"/>, or after
    /// <paramref name="wait"/> (default 5 min, at most 10) plus up to wait/16 of jitter, or when <paramref name="ct"/> ends.
    /// A <paramref name="minIndex"/> of 0 does not block.
    /// </summary>
    public async Task WaitAsync(Func<long> index, long minIndex, TimeSpan? wait, CancellationToken ct)
    {
        if (minIndex <= 0 || index() > minIndex)
        {
            return;
        }
        var w = wait is { } given && given > TimeSpan.Zero ? given : DefaultWait;
        if (w > MaxWait)
        {
            w = MaxWait;
        }
        // Spreads the wake-ups of many watchers that started together, as Consul does.
        w += TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * (w.Ticks / 16)));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(w, _time, timeout.Token);
        try
        {
            while (true)
            {
                // Taken before the check, so a change between the check and the wait still wakes us.
                var signal = Volatile.Read(ref _changed).Task;
                if (index() > minIndex)
                {
                    return;
                }
                if (await Task.WhenAny(signal, delay).ConfigureAwait(false) == delay)
                {
                    return;
                }
            }
        }
        finally
        {
            await timeout.CancelAsync().ConfigureAwait(false);
            try
            {
                await delay.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
