using System.Diagnostics;
using Infrastructure.Discovery.Client;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Proxy.Health;

namespace Infrastructure.Proxy.Selection;

/// <summary>
/// Chooses the destination of each attempt and hears how it went (YARP's destination selection): candidates in, the
/// ones already tried, tripped (Ribbon's blackout, when the stats' options filter it) or ejected (outlier detection)
/// left out, one picked by the policy; outcomes feed the policy's figures (active requests, response times) and outlier detection.
/// </summary>
internal sealed class DestinationSelector(LoadBalancerStats stats, OutlierDetector? outliers = null)
{
    /// <summary>Per-destination figures the policies read (active requests, failures, response times).</summary>
    public LoadBalancerStats Stats => stats;

    /// <summary>Outlier detection over these destinations; null: none (the Gateway relies on Ribbon's blackout).</summary>
    public OutlierDetector? Outliers => outliers;

    /// <summary>
    /// A destination among <paramref name="candidates"/> not in <paramref name="tried"/>, neither tripped nor ejected,
    /// chosen by <paramref name="policy"/>; null when none is left. Ejected hosts stay out even when all are (Istio's
    /// <c>minHealthPercent</c> 0: no panic mode); <see cref="OutlierDetectionOptions.MaxEjectionPercent"/> bounds how many that can be.
    /// </summary>
    public ServiceInstance? Choose(IReadOnlyList<ServiceInstance> candidates, ILoadBalancerRule policy, IReadOnlyCollection<string>? tried = null)
    {
        var remaining = ServiceLoadBalancer.Candidates(candidates, tried, stats, stats.Options.FilterCircuitTripped);
        if (outliers is { EjectedCount: > 0 })
        {
            remaining = WithoutEjected(remaining, outliers);
        }
        return remaining.Count == 0 ? null : policy.Choose(remaining, stats);
    }

    /// <summary>
    /// The destination of a retry: another host than those tried, or, when every one was tried, any (Istio's
    /// <c>previous_hosts</c> retry predicate gives up avoiding them after its selection attempts).
    /// </summary>
    public ServiceInstance? ChooseNext(IReadOnlyList<ServiceInstance> candidates, ILoadBalancerRule policy, IReadOnlyCollection<string>? tried) =>
        Choose(candidates, policy, tried) ?? (tried is { Count: > 0 } ? Choose(candidates, policy) : null);

    /// <summary>Starts an attempt on <paramref name="destination"/>: counts it as active until the returned attempt is disposed.</summary>
    public DestinationAttempt Start(ServiceInstance destination)
    {
        var s = stats.Get(destination);
        s.IncrementActiveRequests();
        return new DestinationAttempt(this, destination, s, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// A response that had arrived broke off or stalled mid-body (after its attempt ended): counts as a failure of the
    /// destination, taking up the failure streak its headers had cleared.
    /// </summary>
    public void ReportBodyFailure(ServiceInstance destination)
    {
        stats.Get(destination).RecordResponseBroken();
        outliers?.ReportLocalFailure(destination.InstanceId);
    }

    private static List<ServiceInstance> WithoutEjected(IReadOnlyList<ServiceInstance> candidates, OutlierDetector outliers)
    {
        var healthy = new List<ServiceInstance>(candidates.Count);
        foreach (var c in candidates)
        {
            if (!outliers.IsEjected(c.InstanceId))
            {
                healthy.Add(c);
            }
        }
        return healthy;
    }

    /// <summary>One attempt on one destination: report how it ended, then dispose (the destination's active count goes down).</summary>
    internal readonly struct DestinationAttempt(DestinationSelector selector, ServiceInstance destination, ServerStats stats, long started) : IDisposable
    {
        public ServiceInstance Destination => destination;

        /// <summary>The destination answered <paramref name="statusCode"/> (headers arrived).</summary>
        public void Responded(int statusCode)
        {
            stats.RecordResponse(Stopwatch.GetElapsedTime(started), statusCode >= 500);
            selector.Outliers?.ReportResponse(destination.InstanceId, statusCode);
        }

        /// <summary>Refused, unreachable, reset or closed before a response, or an answer that is not HTTP.</summary>
        public void FailedBeforeResponse()
        {
            stats.RecordConnectionFailure();
            selector.Outliers?.ReportLocalFailure(destination.InstanceId);
        }

        /// <summary>No response within the response timeout.</summary>
        public void TimedOut()
        {
            stats.RecordTimeout();
            selector.Outliers?.ReportLocalFailure(destination.InstanceId);
        }

        public void Dispose() => stats.DecrementActiveRequests();
    }
}
