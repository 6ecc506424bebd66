namespace Infrastructure.Gateway.Dashboard;

/// <summary>How one proxied request ended, as the dashboard counts it.</summary>
internal enum RequestOutcome
{
    Success,

    /// <summary>A 5xx answer or a connection failure (502).</summary>
    Failure,

    /// <summary>504: an upstream or Hystrix time limit ran out.</summary>
    Timeout,

    /// <summary>503 while the route's breaker was not closed: refused without calling upstream.</summary>
    ShortCircuited,

    /// <summary>429 from the gateway's RequestRateLimiter (no instance was called).</summary>
    RateLimited,
}

/// <summary>The figures of one rolling window, summed over its buckets.</summary>
internal sealed record StatsSnapshot(
    long Requests,
    long Errors,
    long Timeouts,
    long ShortCircuited,
    long RateLimited,
    double MeanMs,
    double MaxMs,
    double[] PercentilesMs,
    double RequestsPerSecond)
{
    /// <summary>The percentiles Hystrix streams, in the order of <see cref="PercentilesMs"/>.</summary>
    public static readonly (string Name, double Value)[] Percentiles =
        [("0", 0), ("25", 25), ("50", 50), ("75", 75), ("90", 90), ("95", 95), ("99", 99), ("99.5", 99.5), ("100", 100)];

    public long Successes => Requests - Errors - RateLimited;

    /// <summary>Failed share of the requests, in whole percent (Hystrix's <c>errorPercentage</c>).</summary>
    public int ErrorPercentage => Requests == 0 ? 0 : (int)(Errors * 100 / Requests);

    public double P99Ms => PercentilesMs[6];
}

/// <summary>
/// Hystrix's rolling number and rolling percentile in one: a ring of time buckets, each with counters and a small latency
/// histogram. Recording is lock-free and allocation-free (Interlocked on fields of buckets created up front); only the
/// thread that moves a bucket to a new time slot clears it, while others spin for that clear, a few nanoseconds, once per
/// bucket (never yielding: if the clearing thread was preempted, their counts are dropped instead).
/// </summary>
internal sealed class RollingStats
{
    /// <summary>Upper bounds (ms) of the histogram's slots; one more slot holds everything above the last.</summary>
    internal static readonly double[] BoundsMs =
        [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 20_000, 30_000, 60_000];

    private readonly Bucket[] _buckets;
    private readonly long _ticksPerBucket;
    private readonly long _frequency;
    private readonly long _created;

    public RollingStats(int numBuckets, int bucketSizeMs, long frequency, long now)
    {
        _buckets = new Bucket[numBuckets];
        for (var i = 0; i < numBuckets; i++)
        {
            _buckets[i] = new Bucket();
        }
        _frequency = frequency;
        _ticksPerBucket = Math.Max(1, frequency * bucketSizeMs / 1000);
        _created = now;
    }

    /// <summary>Counts one request that ended at <paramref name="now"/> (a timestamp of the stats' TimeProvider).</summary>
    public void Record(long now, RequestOutcome outcome, TimeSpan elapsed)
    {
        var b = Current(now);
        if (b is null)
        {
            return;
        }
        Interlocked.Increment(ref b.Requests);
        switch (outcome)
        {
            case RequestOutcome.Failure:
                Interlocked.Increment(ref b.Errors);
                break;
            case RequestOutcome.Timeout:
                Interlocked.Increment(ref b.Errors);
                Interlocked.Increment(ref b.Timeouts);
                break;
            case RequestOutcome.ShortCircuited:
                Interlocked.Increment(ref b.Errors);
                Interlocked.Increment(ref b.ShortCircuited);
                break;
            case RequestOutcome.RateLimited:
                Interlocked.Increment(ref b.RateLimited);
                break;
        }
        var ticks = elapsed.Ticks;
        Interlocked.Add(ref b.LatencyTicks, ticks);
        var max = Volatile.Read(ref b.MaxTicks);
        while (ticks > max)
        {
            var seen = Interlocked.CompareExchange(ref b.MaxTicks, ticks, max);
            if (seen == max)
            {
                break;
            }
            max = seen;
        }
        Interlocked.Increment(ref b.Histogram[Slot(elapsed.TotalMilliseconds)]);
    }

    /// <summary>Whether nothing was recorded in the window ending at <paramref name="now"/>.</summary>
    public bool IsIdle(long now)
    {
        var epoch = now / _ticksPerBucket;
        foreach (var b in _buckets)
        {
            var e = Volatile.Read(ref b.Epoch);
            if (e >= 0 && e > epoch - _buckets.Length && Volatile.Read(ref b.Requests) > 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Sums the buckets of the window ending at <paramref name="now"/> (the current, partial bucket included, as Hystrix does).</summary>
    public StatsSnapshot Snapshot(long now)
    {
        var epoch = now / _ticksPerBucket;
        long requests = 0, errors = 0, timeouts = 0, shortCircuited = 0, rateLimited = 0, latency = 0, max = 0;
        Span<long> histogram = stackalloc long[BoundsMs.Length + 1];
        foreach (var b in _buckets)
        {
            var e = Volatile.Read(ref b.Epoch);
            if (e < 0 || e <= epoch - _buckets.Length || e > epoch)
            {
                continue;
            }
            requests += Volatile.Read(ref b.Requests);
            errors += Volatile.Read(ref b.Errors);
            timeouts += Volatile.Read(ref b.Timeouts);
            shortCircuited += Volatile.Read(ref b.ShortCircuited);
            rateLimited += Volatile.Read(ref b.RateLimited);
            latency += Volatile.Read(ref b.LatencyTicks);
            max = Math.Max(max, Volatile.Read(ref b.MaxTicks));
            for (var i = 0; i < histogram.Length; i++)
            {
                histogram[i] += Volatile.Read(ref b.Histogram[i]);
            }
        }
        var maxMs = TimeSpan.FromTicks(max).TotalMilliseconds;
        var percentiles = new double[StatsSnapshot.Percentiles.Length];
        for (var i = 0; i < percentiles.Length; i++)
        {
            percentiles[i] = Percentile(histogram, StatsSnapshot.Percentiles[i].Value, maxMs);
        }
        // The window is still filling while the stats are younger than it, and its newest bucket is partial.
        var windowTicks = ((_buckets.Length - 1) * _ticksPerBucket) + (now - (epoch * _ticksPerBucket));
        var seconds = Math.Max((double)Math.Min(windowTicks, now - _created), _ticksPerBucket) / _frequency;
        return new StatsSnapshot(requests, errors, timeouts, shortCircuited, rateLimited,
            requests == 0 ? 0 : TimeSpan.FromTicks(latency / requests).TotalMilliseconds, maxMs, percentiles, requests / seconds);
    }

    internal static int Slot(double ms)
    {
        // A binary search would save little over 29 slots, and latencies mostly land in the first ones.
        var bounds = BoundsMs;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (ms <= bounds[i])
            {
                return i;
            }
        }
        return bounds.Length;
    }

    /// <summary>Linear interpolation inside the slot holding the rank; never above the largest latency seen.</summary>
    private static double Percentile(ReadOnlySpan<long> histogram, double percentile, double maxMs)
    {
        long total = 0;
        foreach (var c in histogram)
        {
            total += c;
        }
        if (total == 0)
        {
            return 0;
        }
        if (percentile >= 100)
        {
            return maxMs;
        }
        var rank = Math.Max(1, percentile / 100 * total);
        long cumulative = 0;
        for (var i = 0; i < histogram.Length; i++)
        {
            if (histogram[i] == 0)
            {
                continue;
            }
            if (cumulative + histogram[i] >= rank)
            {
                var lower = i == 0 ? 0 : BoundsMs[i - 1];
                var upper = i < BoundsMs.Length ? Math.Min(BoundsMs[i], maxMs) : maxMs;
                var value = lower + ((upper - lower) * (rank - cumulative) / histogram[i]);
                return Math.Min(Math.Max(value, 0), maxMs);
            }
            cumulative += histogram[i];
        }
        return maxMs;
    }

    private Bucket? Current(long now)
    {
        var epoch = now / _ticksPerBucket;
        var b = _buckets[epoch % _buckets.Length];
        var spin = default(SpinWait);
        while (true)
        {
            var seen = Volatile.Read(ref b.Epoch);
            if (seen == epoch)
            {
                return b;
            }
            if (seen > epoch)
            {
                // This thread was delayed past a whole window: its request belongs to a slot reused since.
                return null;
            }
            if (seen != Resetting && Interlocked.CompareExchange(ref b.Epoch, Resetting, seen) == seen)
            {
                b.Clear();
                Volatile.Write(ref b.Epoch, epoch);
                return b;
            }
            // Another thread is clearing the bucket for this time slot, which takes nanoseconds unless it was preempted:
            // spin briefly, and rather lose this one count than make a request wait for the scheduler.
            if (spin.NextSpinWillYield)
            {
                return null;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private const long Resetting = -2;

    private sealed class Bucket
    {
        public long Epoch = -1;
        public long Requests;
        public long Errors;
        public long Timeouts;
        public long ShortCircuited;
        public long RateLimited;
        public long LatencyTicks;
        public long MaxTicks;
        public readonly long[] Histogram = new long[BoundsMs.Length + 1];

        public void Clear()
        {
            Requests = Errors = Timeouts = ShortCircuited = RateLimited = LatencyTicks = MaxTicks = 0;
            Array.Clear(Histogram);
        }
    }
}
