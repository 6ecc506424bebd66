using System.Collections.Concurrent;

namespace Infrastructure.Soak;

/// <summary>Counts and latencies of one kind of request.</summary>
internal sealed class RequestStats
{
    private readonly List<double> _latenciesMs = [];
    private long _sent;
    private long _ok;

    public long Sent => Interlocked.Read(ref _sent);
    public long Ok => Interlocked.Read(ref _ok);
    public long Failed => Sent - Ok;

    public void Record(bool ok, double latencyMs)
    {
        Interlocked.Increment(ref _sent);
        if (ok) { Interlocked.Increment(ref _ok); }
        lock (_latenciesMs) { _latenciesMs.Add(latencyMs); }
    }

    /// <summary>Nearest-rank percentile of the latencies, in ms; NaN when none.</summary>
    public double Percentile(double p)
    {
        lock (_latenciesMs)
        {
            if (_latenciesMs.Count == 0) { return double.NaN; }
            var sorted = _latenciesMs.Order().ToList();
            return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
        }
    }
}

/// <summary>Every kind of request the run sends, and its errors counted by what went wrong.</summary>
internal sealed class Tally
{
    public ConcurrentDictionary<string, RequestStats> Requests { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);

    public RequestStats Of(string kind) => Requests.GetOrAdd(kind, _ => new RequestStats());

    public void Error(string what) => Errors.AddOrUpdate(what, 1, (_, n) => n + 1);

    public long TotalSent => Requests.Values.Sum(r => r.Sent);
    public long TotalErrors => Errors.Values.Sum();
}
