using Infrastructure.Discovery.Client.LoadBalancing;

namespace Infrastructure.Gateway.Dashboard;

/// <summary>One instance's calls over the rolling window, all routes together, retried attempts included.</summary>
internal readonly record struct AttemptFigures(int InFlight, long Attempts, long Failures);

/// <summary>
/// Every call the gateway made to an instance, retries included, over the rolling window: deltas of the load balancer's
/// cumulative <see cref="ServerStats"/> (Ribbon's), sampled when the stream writes a batch. A request's figures in the
/// route rows count it once, on the instance that gave the final answer; these show what retries hid.
/// </summary>
internal sealed class InstanceAttempts(ServiceLoadBalancer loadBalancer, DashboardMetrics metrics)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, List<(long At, long Requests, long Failures)>> _samples = new(StringComparer.Ordinal);
    private bool _sampled;

    /// <summary>
    /// Takes a sample and answers, per instance id, the calls since the newest sample at least a window old (or since
    /// the first sample, while the dashboard has been watching for less than a window; an instance first called after
    /// that counts from zero).
    /// </summary>
    public Dictionary<string, AttemptFigures> Sample()
    {
        var time = metrics.Time;
        var now = time.GetTimestamp();
        var windowStart = now - (long)(metrics.Options.RollingStatsTimeInMilliseconds * (double)time.TimestampFrequency / 1000);
        var result = new Dictionary<string, AttemptFigures>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var s in loadBalancer.Stats.All)
            {
                if (!_samples.TryGetValue(s.InstanceId, out var list))
                {
                    _samples[s.InstanceId] = list = [];
                    if (_sampled)
                    {
                        // First called since the dashboard began sampling: every call it ever had is a recent one.
                        list.Add((now, 0, 0));
                    }
                }
                var requests = s.TotalRequests;
                var failures = s.TotalFailures;
                list.Add((now, requests, failures));
                while (list.Count > 1 && list[1].At <= windowStart)
                {
                    list.RemoveAt(0);
                }
                var baseline = list[0];
                result[s.InstanceId] = new AttemptFigures(s.ActiveRequests, requests - baseline.Requests, failures - baseline.Failures);
            }
            _sampled = true;
        }
        return result;
    }
}
