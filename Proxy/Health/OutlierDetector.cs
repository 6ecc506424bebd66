using System.Collections.Concurrent;

namespace Infrastructure.Proxy.Health;

/// <summary>
/// Passive health of one destination set, with Envoy's semantics (Istio's <c>outlierDetection</c>): a host that
/// answers <see cref="OutlierDetectionOptions.Consecutive5xxErrors"/> 5xx (or gateway errors) in a row is ejected at
/// once, within <see cref="OutlierDetectionOptions.MaxEjectionPercent"/>, for the base ejection time × the times it
/// was ejected; a sweep every <see cref="OutlierDetectionOptions.Interval"/> brings hosts back.
/// </summary>
internal sealed class OutlierDetector : IDisposable
{
    private readonly ConcurrentDictionary<string, HostMonitor> _hosts = new(StringComparer.Ordinal);
    private readonly Lock _ejectGate = new();
    private readonly TimeProvider _time;
    private readonly ITimer? _sweep;
    private int _ejected;

    public OutlierDetector(OutlierDetectionOptions options, TimeProvider time, bool startSweep = true)
    {
        Options = options;
        _time = time;
        if (startSweep)
        {
            _sweep = time.CreateTimer(static state => ((OutlierDetector)state!).Sweep(), this, options.Interval, options.Interval);
        }
    }

    public OutlierDetectionOptions Options { get; }

    /// <summary>Hosts ejected now.</summary>
    public int EjectedCount => Volatile.Read(ref _ejected);

    /// <summary>Whether <paramref name="hostId"/> is ejected now (an unknown host is not).</summary>
    public bool IsEjected(string hostId) => _hosts.TryGetValue(hostId, out var m) && m.Ejected;

    /// <summary>How many times <paramref name="hostId"/> was ejected, less one for every sweep it passed healthy since.</summary>
    public int EjectionCount(string hostId) => _hosts.TryGetValue(hostId, out var m) ? m.Ejections : 0;

    /// <summary>
    /// Makes the set of hosts <paramref name="hostIds"/> (the denominator of <see cref="OutlierDetectionOptions.MaxEjectionPercent"/>):
    /// new ones are added healthy, gone ones forgotten.
    /// </summary>
    public void SetHosts(IEnumerable<string> hostIds)
    {
        var keep = new HashSet<string>(hostIds, StringComparer.Ordinal);
        foreach (var id in keep)
        {
            _hosts.GetOrAdd(id, static _ => new HostMonitor());
        }
        foreach (var (id, monitor) in _hosts)
        {
            if (!keep.Contains(id) && _hosts.TryRemove(id, out _))
            {
                lock (_ejectGate)
                {
                    if (monitor.Ejected)
                    {
                        monitor.Ejected = false;
                        _ejected--;
                    }
                }
            }
        }
    }

    /// <summary>The host answered <paramref name="statusCode"/>: a 5xx carries its streaks on (502/503/504 the gateway streak too), anything else ends them.</summary>
    public void ReportResponse(string hostId, int statusCode)
    {
        var monitor = Monitor(hostId);
        if (statusCode >= 500)
        {
            Failure(hostId, monitor, gateway: statusCode is 502 or 503 or 504);
        }
        else
        {
            lock (monitor)
            {
                monitor.Consecutive5xx = 0;
                monitor.ConsecutiveGateway = 0;
            }
        }
    }

    /// <summary>
    /// The host failed without an answer (refused, reset, timed out, broke off mid-body): Envoy maps such local-origin
    /// errors to 503, so they count toward both streaks.
    /// </summary>
    public void ReportLocalFailure(string hostId) => Failure(hostId, Monitor(hostId), gateway: true);

    /// <summary>One ejection sweep (run by the timer every <see cref="OutlierDetectionOptions.Interval"/>): ejections that served their time end; a healthy host's multiplier shrinks by one.</summary>
    public void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (_, monitor) in _hosts)
        {
            lock (_ejectGate)
            {
                if (monitor.Ejected)
                {
                    if (now >= monitor.EjectedAt + EjectionTime(monitor.Ejections))
                    {
                        monitor.Ejected = false;
                        _ejected--;
                    }
                }
                else if (monitor.Ejections > 0)
                {
                    monitor.Ejections--;
                }
            }
        }
    }

    public void Dispose() => _sweep?.Dispose();

    private HostMonitor Monitor(string hostId) => _hosts.GetOrAdd(hostId, static _ => new HostMonitor());

    private void Failure(string hostId, HostMonitor monitor, bool gateway)
    {
        bool eject;
        lock (monitor)
        {
            // As Envoy: a streak that reaches its threshold starts again from zero, whether the ejection happens or not.
            var by5xx = ++monitor.Consecutive5xx == Options.Consecutive5xxErrors;
            if (by5xx)
            {
                monitor.Consecutive5xx = 0;
            }
            var byGateway = false;
            if (gateway)
            {
                byGateway = ++monitor.ConsecutiveGateway == Options.ConsecutiveGatewayErrors;
                if (byGateway)
                {
                    monitor.ConsecutiveGateway = 0;
                }
            }
            else
            {
                monitor.ConsecutiveGateway = 0;
            }
            eject = by5xx || byGateway;
        }
        if (eject)
        {
            Eject(hostId, monitor);
        }
    }

    private void Eject(string hostId, HostMonitor monitor)
    {
        lock (_ejectGate)
        {
            if (monitor.Ejected || !_hosts.ContainsKey(hostId))
            {
                return;
            }
            var hosts = _hosts.Count;
            var percentAfter = 100.0 * (_ejected + 1) / hosts;
            if (percentAfter > Options.MaxEjectionPercent && !(Options.AlwaysEjectOneHost && _ejected == 0))
            {
                return;
            }
            monitor.Ejected = true;
            // The multiplier stops growing once the ejection time reached its maximum, as Envoy's does.
            if (Options.BaseEjectionTime * monitor.Ejections < Options.MaxEjectionTime)
            {
                monitor.Ejections++;
            }
            monitor.EjectedAt = _time.GetUtcNow();
            _ejected++;
        }
    }

    private TimeSpan EjectionTime(int ejections)
    {
        var time = Options.BaseEjectionTime * Math.Max(1, ejections);
        var max = Options.MaxEjectionTime > Options.BaseEjectionTime ? Options.MaxEjectionTime : Options.BaseEjectionTime;
        return time < max ? time : max;
    }

    private sealed class HostMonitor
    {
        public int Consecutive5xx;
        public int ConsecutiveGateway;
        public volatile bool Ejected;
        public int Ejections;
        public DateTimeOffset EjectedAt;
    }
}
