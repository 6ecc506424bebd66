using System.Collections.Concurrent;
using Infrastructure.Discovery.Client;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Proxy.LoadBalancing;
using Microsoft.Extensions.Options;
using SimpleLB = Infrastructure.Mesh.Api.LoadBalancerSettings.Types.SimpleLB;

namespace Infrastructure.Mesh.Sidecar.Outbound;

/// <summary>
/// Chooses an instance for one attempt with the DestinationRule's load balancer (Proxy/'s policies, LEAST_REQUEST by
/// default), avoiding hosts already tried for the request, and counts requests in flight per destination for the
/// connection pool's limits.
/// </summary>
internal sealed class InstancePicker
{
    private readonly ConcurrentDictionary<(string Destination, SimpleLB Policy), ILoadBalancerRule> _rules = new();
    private readonly ConcurrentDictionary<string, Counter> _active = new(StringComparer.Ordinal);

    /// <summary>Per-instance statistics (active requests for LEAST_REQUEST); Ribbon's own circuit breaker stays off: outlier detection is Istio's.</summary>
    public LoadBalancerStats Stats { get; } = new(Options.Create(new LoadBalancerOptions
    {
        FilterCircuitTripped = false,
        ConnectionFailureCountThreshold = int.MaxValue,
    }));

    public ServiceInstance? Pick(string destination, IReadOnlyList<ServiceInstance> instances, ISet<string> tried, SimpleLB policy)
    {
        IReadOnlyList<ServiceInstance> candidates = instances.Where(i => !tried.Contains(i.InstanceId)).ToList();
        if (candidates.Count == 0)
        {
            // Every host tried: Envoy's previous-hosts predicate gives up avoiding them.
            candidates = instances;
        }
        var rule = _rules.GetOrAdd((destination, policy), key => LoadBalancingPolicies.Create(key.Policy switch
        {
            SimpleLB.RoundRobin => LoadBalancingPolicies.IstioRoundRobin,
            SimpleLB.Random => LoadBalancingPolicies.IstioRandom,
            SimpleLB.Passthrough => LoadBalancingPolicies.IstioPassthrough,
            _ => LoadBalancingPolicies.IstioLeastRequest,
        }));
        return rule.Choose(candidates, Stats);
    }

    /// <summary>Counts a request in flight to a destination (service and subset); returns the count with it.</summary>
    public int Enter(string destination) => Interlocked.Increment(ref _active.GetOrAdd(destination, _ => new Counter()).Value);

    public void Leave(string destination) => Interlocked.Decrement(ref _active.GetOrAdd(destination, _ => new Counter()).Value);

    private sealed class Counter
    {
        public int Value;
    }
}
