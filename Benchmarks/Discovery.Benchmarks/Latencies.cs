using System.Collections.Concurrent;
using System.Diagnostics;

namespace Infrastructure.Discovery.Benchmarks;

/// <summary>Latency samples (Stopwatch ticks) collected per worker without locking, merged and sorted for percentiles.</summary>
internal sealed class Latencies
{
    private readonly ConcurrentBag<List<long>> _parts = [];
    private long[]? _sorted;

    /// <summary>A list for one worker; add elapsed Stopwatch ticks to it.</summary>
    public List<long> NewPart(int capacity = 1024)
    {
        var part = new List<long>(capacity);
        _parts.Add(part);
        return part;
    }

    public int Count => Sorted.Length;

    private long[] Sorted => _sorted ??= _parts.SelectMany(p => p).Order().ToArray();

    /// <summary>The q-quantile in milliseconds (nearest rank); NaN when there are no samples.</summary>
    public double Percentile(double q)
    {
        var s = Sorted;
        if (s.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(q * s.Length) - 1;
        return ToMs(s[Math.Clamp(rank, 0, s.Length - 1)]);
    }

    public double Max => Sorted.Length == 0 ? double.NaN : ToMs(Sorted[^1]);

    private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
