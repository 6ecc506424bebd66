namespace Infrastructure.Discovery.Server.Registry;

/// <summary>Counts events over the last minute in one-second buckets (Eureka's "renews (last min)").</summary>
internal sealed class MeasuredRate(TimeProvider time)
{
    private const int Buckets = 60;
    private readonly long[] _counts = new long[Buckets];
    private readonly long[] _seconds = new long[Buckets];
    private readonly Lock _lock = new();

    /// <summary>Counts one event; lock-free except for the first event of each second, which starts its bucket afresh.</summary>
    public void Increment()
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        var i = (int)(second % Buckets);
        if (Volatile.Read(ref _seconds[i]) != second)
        {
            // Every renew passes here, so only the bucket's turnover (once a second) is serialised.
            lock (_lock)
            {
                if (_seconds[i] != second)
                {
                    Volatile.Write(ref _counts[i], 0);
                    Volatile.Write(ref _seconds[i], second);
                }
            }
        }
        Interlocked.Increment(ref _counts[i]);
    }

    /// <summary>Events in the 60 seconds up to now.</summary>
    public long LastMinute()
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        long sum = 0;
        lock (_lock)
        {
            for (var i = 0; i < Buckets; i++)
            {
                if (second - _seconds[i] < Buckets && _seconds[i] <= second)
                {
                    sum += Volatile.Read(ref _counts[i]);
                }
            }
        }
        return sum;
    }
}
