using Infrastructure.Discovery.Client;
using Infrastructure.Discovery.Client.LoadBalancing;

namespace Infrastructure.Proxy.LoadBalancing;

/// <summary>Istio's <c>PASSTHROUGH</c>: no choice made, the first candidate (the destination the caller named) is taken.</summary>
internal sealed class PassthroughPolicy : ILoadBalancerRule
{
    public static readonly PassthroughPolicy Instance = new();

    public string Name => LoadBalancingPolicies.IstioPassthrough;

    public ServiceInstance? Choose(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats) =>
        instances.Count == 0 ? null : instances[0];
}
