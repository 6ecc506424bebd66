using Infrastructure.Discovery.Client;
using Infrastructure.Discovery.Client.LoadBalancing;

namespace Infrastructure.Proxy.LoadBalancing;

/// <summary>
/// Names of the proxy's load-balancing policies: Istio's <c>trafficPolicy.loadBalancer.simple</c> values and Ribbon's
/// rule names. Every policy is an <see cref="ILoadBalancerRule"/>; each rule has exactly one implementation, in
/// <c>Discovery.Client/LoadBalancing</c> (which the apps' client uses too), and Istio's names open the same rules.
/// </summary>
internal static class LoadBalancingPolicies
{
    /// <summary>Istio's <c>ROUND_ROBIN</c>: each host in turn (Ribbon's <see cref="LoadBalancerRules.RoundRobin"/>).</summary>
    public const string IstioRoundRobin = "ROUND_ROBIN";

    /// <summary>Istio's <c>RANDOM</c>: a uniformly random host (Ribbon's <see cref="LoadBalancerRules.Random"/>).</summary>
    public const string IstioRandom = "RANDOM";

    /// <summary>
    /// Istio's <c>LEAST_REQUEST</c>, the mesh's default when a DestinationRule sets none: Envoy's power of two random
    /// choices, the host with fewer active requests wins (Ribbon's <see cref="LoadBalancerRules.PowerOfTwoChoices"/>).
    /// </summary>
    public const string IstioLeastRequest = "LEAST_REQUEST";

    /// <summary>Istio's deprecated spelling of <see cref="IstioLeastRequest"/>.</summary>
    public const string IstioLeastConn = "LEAST_CONN";

    /// <summary>Istio's <c>UNSPECIFIED</c>: the default, <see cref="IstioLeastRequest"/>.</summary>
    public const string IstioUnspecified = "UNSPECIFIED";

    /// <summary>
    /// Istio's <c>PASSTHROUGH</c>: no load balancing, the destination the caller asked for. The front end passes that one
    /// destination as the only candidate (or the caller's choice first); the policy takes the first candidate.
    /// </summary>
    public const string IstioPassthrough = "PASSTHROUGH";

    /// <summary>The policy used when none is named: Istio's default.</summary>
    public const string Default = IstioLeastRequest;

    /// <summary>Istio's names, for validation messages.</summary>
    public static IReadOnlyList<string> Istio { get; } = [IstioRoundRobin, IstioLeastRequest, IstioRandom, IstioPassthrough];

    /// <summary>
    /// A new policy named <paramref name="name"/>: one of Istio's names (case-insensitive) or of Ribbon's
    /// (<see cref="LoadBalancerRules"/>, as <see cref="LoadBalancerRuleFactory.Create"/> takes them); null or empty is
    /// <see cref="Default"/>. Policies keep state (a counter): use one per destination set.
    /// </summary>
    /// <exception cref="ArgumentException">Neither an Istio nor a Ribbon name.</exception>
    public static ILoadBalancerRule Create(string? name)
    {
        var n = string.IsNullOrWhiteSpace(name) ? Default : name.Trim().ToUpperInvariant();
        return n switch
        {
            IstioRoundRobin => new NamedPolicy(IstioRoundRobin, LoadBalancerRuleFactory.Create(LoadBalancerRules.RoundRobin)),
            IstioRandom => new NamedPolicy(IstioRandom, LoadBalancerRuleFactory.Create(LoadBalancerRules.Random)),
            IstioLeastRequest or IstioLeastConn or IstioUnspecified
                => new NamedPolicy(IstioLeastRequest, LoadBalancerRuleFactory.Create(LoadBalancerRules.PowerOfTwoChoices)),
            IstioPassthrough => PassthroughPolicy.Instance,
            _ => CreateRibbon(name!),
        };
    }

    private static ILoadBalancerRule CreateRibbon(string name)
    {
        try
        {
            return LoadBalancerRuleFactory.Create(name);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException(
                $"unknown load-balancing policy '{name}'; known: {string.Join(", ", Istio)}, {string.Join(", ", LoadBalancerRules.All)}", nameof(name));
        }
    }

    /// <summary>A Ribbon rule under its Istio name, so what the proxy reports is what the DestinationRule said.</summary>
    private sealed class NamedPolicy(string name, ILoadBalancerRule rule) : ILoadBalancerRule
    {
        public string Name => name;

        public ServiceInstance? Choose(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats) => rule.Choose(instances, stats);
    }
}
