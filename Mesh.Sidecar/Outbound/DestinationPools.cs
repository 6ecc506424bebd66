using System.Collections.Concurrent;
using Google.Protobuf;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Mesh.Api;
using Infrastructure.Proxy.Health;
using Infrastructure.Proxy.LoadBalancing;
using Infrastructure.Proxy.Selection;
using Infrastructure.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;
using SimpleLB = Infrastructure.Mesh.Api.LoadBalancerSettings.Types.SimpleLB;

namespace Infrastructure.Mesh.Sidecar.Outbound;

/// <summary>One destination set (a service, or a subset of it): its selector (Proxy/'s, with outlier detection when the DestinationRule asks), its policy, its in-flight count.</summary>
internal sealed class DestinationPool(DestinationSelector selector, ILoadBalancerRule policy)
{
    private int _active;

    public DestinationSelector Selector { get; } = selector;

    public ILoadBalancerRule Policy { get; } = policy;

    /// <summary>Requests in flight to this destination set, for the connection pool's limits.</summary>
    public int Enter() => Interlocked.Increment(ref _active);

    public void Leave() => Interlocked.Decrement(ref _active);
}

/// <summary>
/// The destination pools by service, subset and the traffic policy that shaped them: a changed load balancer or
/// outlier detection makes a new pool (fresh ejections), as Envoy rebuilds a cluster.
/// </summary>
internal sealed class DestinationPools(TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<(string Destination, SimpleLB Policy, string Outlier), DestinationPool> _pools = new();

    /// <summary>Per-instance figures for every pool (active requests for LEAST_REQUEST); Ribbon's own blackout stays off: outlier detection is Istio's.</summary>
    public LoadBalancerStats Stats { get; } = new(Options.Create(new LoadBalancerOptions { FilterCircuitTripped = false }));

    public DestinationPool For(string destination, SimpleLB policy, OutlierDetection? outlier)
    {
        var signature = outlier is null ? "" : outlier.ToByteString().ToBase64();
        return _pools.GetOrAdd((destination, policy, signature), key =>
        {
            var detector = outlier is null ? null : new OutlierDetector(OptionsOf(outlier), time);
            // The previous pool of this destination (another policy) is left to its in-flight requests; its sweep stops.
            foreach (var old in _pools.Where(p => p.Key.Destination == key.Destination && p.Key != key).ToList())
            {
                if (_pools.TryRemove(old.Key, out var gone))
                {
                    gone.Selector.Outliers?.Dispose();
                }
            }
            return new DestinationPool(new DestinationSelector(Stats, detector), LoadBalancingPolicies.Create(key.Policy switch
            {
                SimpleLB.RoundRobin => LoadBalancingPolicies.IstioRoundRobin,
                SimpleLB.Random => LoadBalancingPolicies.IstioRandom,
                SimpleLB.Passthrough => LoadBalancingPolicies.IstioPassthrough,
                _ => LoadBalancingPolicies.IstioLeastRequest,
            }));
        });
    }

    /// <summary>Istio's outlierDetection onto Envoy's settings, Istio's defaults where a field is unset.</summary>
    internal static OutlierDetectionOptions OptionsOf(OutlierDetection o) => new()
    {
        // The deprecated consecutiveErrors counted gateway errors.
        Consecutive5xxErrors = (int?)o.Consecutive5XxErrors ?? (o.ConsecutiveErrors > 0 ? 0 : 5),
        ConsecutiveGatewayErrors = (int?)o.ConsecutiveGatewayErrors ?? (o.ConsecutiveErrors > 0 ? o.ConsecutiveErrors : 0),
        Interval = Duration(o.Interval) ?? TimeSpan.FromSeconds(10),
        BaseEjectionTime = Duration(o.BaseEjectionTime) ?? TimeSpan.FromSeconds(30),
        MaxEjectionPercent = o.MaxEjectionPercent > 0 ? o.MaxEjectionPercent : 10,
    };

    private static TimeSpan? Duration(string? text) => GoDuration.TryParse(text, out var value) ? value : null;

    public void Dispose()
    {
        foreach (var pool in _pools.Values)
        {
            pool.Selector.Outliers?.Dispose();
        }
    }
}
