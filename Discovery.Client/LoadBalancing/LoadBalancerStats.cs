using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Client.LoadBalancing;

/// <summary>The <see cref="ServerStats"/> of every instance this process has called, by instance id (Ribbon's <c>LoadBalancerStats</c>).</summary>
public sealed class LoadBalancerStats
{
    private readonly ConcurrentDictionary<string, ServerStats> _stats = new(StringComparer.Ordinal);
    private readonly Func<string, ServerStats> _create;

    /// <summary>Creates an empty set of statistics.</summary>
    public LoadBalancerStats(IOptions<LoadBalancerOptions> options)
    {
        var o = options.Value;
        Options = o;
        _create = id => new ServerStats(id, o);
    }

    /// <summary>The settings the figures are judged by (trip thresholds, connection limit).</summary>
    public LoadBalancerOptions Options { get; }

    /// <summary>The statistics of <paramref name="instance"/>, created on first use.</summary>
    public ServerStats Get(ServiceInstance instance) => _stats.GetOrAdd(instance.InstanceId, _create);

    /// <summary>Statistics of every instance seen so far.</summary>
    public IEnumerable<ServerStats> All => _stats.Values;
}
