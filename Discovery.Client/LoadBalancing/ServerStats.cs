using System.Diagnostics;

namespace Infrastructure.Discovery.Client.LoadBalancing;

/// <summary>What the client has seen of one instance: outstanding requests, consecutive connection failures, response-time average (Ribbon's <c>ServerStats</c>).</summary>
public sealed class ServerStats
{
    // Weight of the newest sample in the response-time average.
    private const double EwmaAlpha = 0.2;

    private readonly LoadBalancerOptions _options;
    private readonly Lock _gate = new();
    private int _activeRequests;
    private int _successiveConnectionFailures;
    // The streak the last response cleared: a response that then breaks off mid-body takes it up again.
    private int _clearedStreak;
    private long _lastConnectionFailureTimestamp;
    private long _totalRequests;
    private long _totalFailures;
    private double _responseTimeEwmaMs;

    internal ServerStats(string instanceId, LoadBalancerOptions options)
    {
        InstanceId = instanceId;
        _options = options;
    }

    /// <summary>The instance these figures are about.</summary>
    public string InstanceId { get; }

    /// <summary>Requests sent to the instance and not finished yet.</summary>
    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    /// <summary>Connection failures, read timeouts and broken-off responses in a row (reset by any answer).</summary>
    public int SuccessiveConnectionFailures => Volatile.Read(ref _successiveConnectionFailures);

    /// <summary>Requests started in total.</summary>
    public long TotalRequests => Interlocked.Read(ref _totalRequests);

    /// <summary>Requests that failed (connection failure or error status) in total.</summary>
    public long TotalFailures => Interlocked.Read(ref _totalFailures);

    /// <summary>Exponentially weighted moving average of response times in ms; 0 before the first response.</summary>
    public double ResponseTimeAverageMs
    {
        get { lock (_gate) { return _responseTimeEwmaMs; } }
    }

    /// <summary>Marks the start of a request; pair it with <see cref="RecordResponse"/> or <see cref="RecordConnectionFailure"/>.</summary>
    public void IncrementActiveRequests()
    {
        Interlocked.Increment(ref _activeRequests);
        Interlocked.Increment(ref _totalRequests);
    }

    /// <summary>Marks the end of a request (response fully handled or abandoned).</summary>
    public void DecrementActiveRequests()
    {
        if (Interlocked.Decrement(ref _activeRequests) < 0)
        {
            Interlocked.Exchange(ref _activeRequests, 0);
        }
    }

    /// <summary>The instance answered (any status): resets the failure streak and feeds the response-time average.</summary>
    public void RecordResponse(TimeSpan elapsed, bool failed = false)
    {
        Volatile.Write(ref _clearedStreak, Interlocked.Exchange(ref _successiveConnectionFailures, 0));
        if (failed)
        {
            Interlocked.Increment(ref _totalFailures);
        }
        var ms = elapsed.TotalMilliseconds;
        lock (_gate)
        {
            _responseTimeEwmaMs = _responseTimeEwmaMs == 0 ? ms : (EwmaAlpha * ms) + ((1 - EwmaAlpha) * _responseTimeEwmaMs);
        }
    }

    /// <summary>The instance could not be reached, or failed before answering (refused, connect timeout, reset before a response, an answer that is not HTTP).</summary>
    public void RecordConnectionFailure()
    {
        Interlocked.Increment(ref _totalFailures);
        Interlocked.Increment(ref _successiveConnectionFailures);
        Volatile.Write(ref _lastConnectionFailureTimestamp, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// A response recorded with <see cref="RecordResponse"/> broke off before its body ended (the connection was reset or
    /// closed mid-body): counts as a connection failure, and the streak goes on from where that response had cleared it,
    /// so an instance that keeps breaking responses off trips as one that refuses connections does.
    /// </summary>
    public void RecordResponseBroken()
    {
        Interlocked.Increment(ref _totalFailures);
        var cleared = Volatile.Read(ref _clearedStreak);
        int current;
        do
        {
            current = Volatile.Read(ref _successiveConnectionFailures);
        }
        while (Interlocked.CompareExchange(ref _successiveConnectionFailures, Math.Max(current, cleared) + 1, current) != current);
        Volatile.Write(ref _lastConnectionFailureTimestamp, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// The instance took a connection but did not answer within the read timeout: counts toward tripping like a
    /// connection failure, as Ribbon treats <c>SocketTimeoutException</c> as a circuit-tripping exception.
    /// </summary>
    public void RecordTimeout() => RecordConnectionFailure();

    /// <summary>
    /// Whether the instance is in its blackout: at least <c>ConnectionFailureCountThreshold</c> failures in a row and
    /// less than <c>factor × 2^(failures − threshold)</c> seconds (capped at the max) since the last one, as Ribbon computes it.
    /// </summary>
    public bool IsCircuitBreakerTripped()
    {
        var failures = SuccessiveConnectionFailures;
        var threshold = _options.ConnectionFailureCountThreshold;
        if (failures < threshold)
        {
            return false;
        }
        var doublings = Math.Min(failures - threshold, 16);
        var blackoutSeconds = Math.Min((1L << doublings) * _options.CircuitTripTimeoutFactorSeconds, _options.CircuitTripMaxTimeoutSeconds);
        var since = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastConnectionFailureTimestamp));
        return since < TimeSpan.FromSeconds(blackoutSeconds);
    }

    /// <summary>Not tripped and under <c>ActiveConnectionsLimit</c> (Ribbon's <c>AvailabilityPredicate</c>; 0 or less is no limit).</summary>
    public bool IsAvailable() => !IsCircuitBreakerTripped() && (_options.ActiveConnectionsLimit <= 0 || ActiveRequests < _options.ActiveConnectionsLimit);
}
