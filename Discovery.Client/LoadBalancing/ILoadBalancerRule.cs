namespace Infrastructure.Discovery.Client.LoadBalancing;

/// <summary>Picks one instance among the UP instances of a service (Ribbon's <c>IRule</c>). Instances keep state (a counter), so use one per service.</summary>
public interface ILoadBalancerRule
{
    /// <summary>The rule's name, one of <see cref="LoadBalancerRules"/>.</summary>
    string Name { get; }

    /// <summary>The chosen instance, or null when <paramref name="instances"/> is empty.</summary>
    ServiceInstance? Choose(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats);
}
