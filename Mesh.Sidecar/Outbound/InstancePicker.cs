using System.Collections.Concurrent;
using Infrastructure.Discovery.Client;
using SimpleLB = Infrastructure.Mesh.Api.LoadBalancerSettings.Types.SimpleLB;

namespace Infrastructure.Mesh.Sidecar.Outbound;

/// <summary>
/// Chooses an instance for one attempt (the DestinationRule's simple load balancer, LEAST_REQUEST by default) and counts
/// requests in flight per instance and per destination, for LEAST_REQUEST and the connection pool's limits.
/// Interim until Proxy/'s destination selector (h-proxy) lands, with its outlier detection.
/// </summary>
internal sealed class InstancePicker
{
    private readonly ConcurrentDictionary<string, StrongBox> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox> _cursor = new(StringComparer.Ordinal);

    public ServiceInstance? Pick(string destination, IReadOnlyList<ServiceInstance> instances, ISet<string> tried, SimpleLB policy)
    {
        var candidates = instances.Where(i => !tried.Contains(i.InstanceId)).ToList();
        if (candidates.Count == 0)
        {
            // Every host tried: Envoy's retry host predicate gives up avoiding them.
            candidates = instances.ToList();
        }
        if (candidates.Count == 0)
        {
            return null;
        }
        switch (policy)
        {
            case SimpleLB.RoundRobin:
                var box = _cursor.GetOrAdd(destination, _ => new StrongBox());
                return candidates[(int)((uint)Interlocked.Increment(ref box.Value) % (uint)candidates.Count)];
            case SimpleLB.Random:
            case SimpleLB.Passthrough:
                return candidates[Random.Shared.Next(candidates.Count)];
            default:
                // LEAST_REQUEST as Envoy does it: the less busy of two chosen at random.
                var a = candidates[Random.Shared.Next(candidates.Count)];
                var b = candidates[Random.Shared.Next(candidates.Count)];
                return Active(a.InstanceId) <= Active(b.InstanceId) ? a : b;
        }
    }

    public int Active(string key) => _active.TryGetValue(key, out var box) ? Volatile.Read(ref box.Value) : 0;

    public int Enter(string key) => Interlocked.Increment(ref _active.GetOrAdd(key, _ => new StrongBox()).Value);

    public void Leave(string key) => Interlocked.Decrement(ref _active.GetOrAdd(key, _ => new StrongBox()).Value);

    private sealed class StrongBox
    {
        public int Value;
    }
}
