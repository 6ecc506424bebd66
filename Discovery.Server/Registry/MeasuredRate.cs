namespace Infrastructure.Discovery.Server.Registry;

/// <summary>Counts events over the last minute in one-second buckets (Eureka's "renews (last min)").</summary>
internal sealed class MeasuredRate(TimeProvider time)
{
    private const int Buckets = 60;
    private readonly long[] _counts = new long[Buckets];
    private readonly long[] _seconds = new long[Buckets];
    private readonly Lock _lock = new();

    public void Increment()
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        var i = (int)(second % Buckets);
        lock (_lock)
        {
            if (_seconds[i] != second)
            {
                _seconds[i] = second;
                _counts[i] = 0;
            }
            _counts[i]++;
        }
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
                    sum += _counts[i];
                }
            }
        }
        return sum;
    }
}
