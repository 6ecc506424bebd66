using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Client.LoadBalancing;

/// <summary>Chooses an UP instance of a service with its configured rule (Ribbon's <c>ILoadBalancer</c> + <c>IRule</c>).</summary>
public sealed class ServiceLoadBalancer
{
    private readonly IServiceInstanceProvider _provider;
    private readonly LoadBalancerOptions _options;
    private readonly ConcurrentDictionary<(string ServiceId, string Rule), ILoadBalancerRule> _rules = new();

    /// <summary>Creates a load balancer over <paramref name="provider"/>'s instances.</summary>
    public ServiceLoadBalancer(IServiceInstanceProvider provider, LoadBalancerStats stats, IOptions<LoadBalancerOptions> options)
    {
        _provider = provider;
        Stats = stats;
        _options = options.Value;
    }

    /// <summary>Per-instance statistics the rules read and callers must feed.</summary>
    public LoadBalancerStats Stats { get; }

    /// <summary>The settings (retry-next-server count, rules per service).</summary>
    public LoadBalancerOptions Options => _options;

    /// <summary>
    /// An UP instance of <paramref name="serviceId"/> chosen by <paramref name="ruleName"/> (default: the service's configured rule),
    /// never one of <paramref name="excludedInstanceIds"/> (instances already tried); null when there is none.
    /// </summary>
    public ServiceInstance? Choose(string serviceId, string? ruleName = null, IReadOnlyCollection<string>? excludedInstanceIds = null)
    {
        var instances = Candidates(_provider.GetInstances(serviceId), excludedInstanceIds, Stats, _options.FilterCircuitTripped);
        return instances.Count == 0 ? null : GetRule(serviceId, ruleName).Choose(instances, Stats);
    }

    /// <summary>
    /// What a rule may choose from (also the proxy's destination selector): <paramref name="instances"/> minus
    /// <paramref name="excludedInstanceIds"/> (already tried), then, when <paramref name="filterTripped"/> (<see cref="LoadBalancerOptions.FilterCircuitTripped"/>),
    /// minus the tripped ones while one that is not remains; empty only when nothing is left untried.
    /// </summary>
    internal static IReadOnlyList<ServiceInstance> Candidates(
        IReadOnlyList<ServiceInstance> instances, IReadOnlyCollection<string>? excludedInstanceIds, LoadBalancerStats stats, bool filterTripped)
    {
        if (excludedInstanceIds is { Count: > 0 })
        {
            var remaining = new List<ServiceInstance>(instances.Count);
            foreach (var i in instances)
            {
                if (!excludedInstanceIds.Contains(i.InstanceId))
                {
                    remaining.Add(i);
                }
            }
            instances = remaining;
        }
        if (instances.Count == 0)
        {
            return instances;
        }
        return filterTripped ? WithoutTripped(instances, stats) : instances;
    }

    // Outlier ejection for every rule: tripped instances are left out while another one remains; when all are tripped
    // they all stay in (Envoy's panic mode), since refusing every request would be worse than trying a sick instance.
    private static IReadOnlyList<ServiceInstance> WithoutTripped(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats)
    {
        List<ServiceInstance>? healthy = null;
        for (var k = 0; k < instances.Count; k++)
        {
            if (stats.Get(instances[k]).IsCircuitBreakerTripped())
            {
                if (healthy is null)
                {
                    healthy = new List<ServiceInstance>(instances.Count);
                    for (var j = 0; j < k; j++)
                    {
                        healthy.Add(instances[j]);
                    }
                }
            }
            else
            {
                healthy?.Add(instances[k]);
            }
        }
        return healthy is null ? instances : healthy.Count > 0 ? healthy : instances;
    }

    /// <summary>The rule instance used for <paramref name="serviceId"/> (one per service and rule name, so counters are per service).</summary>
    public ILoadBalancerRule GetRule(string serviceId, string? ruleName = null)
    {
        var name = string.IsNullOrWhiteSpace(ruleName) ? _options.RuleFor(serviceId) : ruleName;
        var key = (serviceId, name);
        if (_rules.TryGetValue(key, out var rule))
        {
            return rule;
        }
        return _rules.GetOrAdd(key, static k => LoadBalancerRuleFactory.Create(k.Rule));
    }
}
