namespace Infrastructure.Discovery.Client.LoadBalancing;

/// <summary>Names of the built-in load-balancing rules (Ribbon's rule names without the <c>Rule</c> suffix).</summary>
public static class LoadBalancerRules
{
    /// <summary>Each instance in turn (Ribbon's <c>RoundRobinRule</c>); the default.</summary>
    public const string RoundRobin = "RoundRobin";

    /// <summary>A uniformly random instance (Ribbon's <c>RandomRule</c>).</summary>
    public const string Random = "Random";

    /// <summary>Random, weighted so that instances with a lower mean response time are picked more often (Ribbon's <c>WeightedResponseTimeRule</c>).</summary>
    public const string WeightedResponseTime = "WeightedResponseTime";

    /// <summary>The non-tripped instance with the fewest outstanding requests (Ribbon's <c>BestAvailableRule</c>, "least outstanding requests").</summary>
    public const string BestAvailable = "BestAvailable";

    /// <summary>Round robin that skips instances tripped by consecutive connection failures or above <c>ActiveConnectionsLimit</c> (Ribbon's <c>AvailabilityFilteringRule</c>).</summary>
    public const string AvailabilityFiltering = "AvailabilityFiltering";

    /// <summary>Available instances of the caller's zone first, other zones only when it has none (Ribbon's <c>ZoneAvoidanceRule</c>, Spring's zone preference).</summary>
    public const string ZoneAvoidance = "ZoneAvoidance";

    /// <summary>Two random available instances, the one with fewer outstanding requests wins.</summary>
    public const string PowerOfTwoChoices = "PowerOfTwoChoices";

    /// <summary>All rule names, for validation messages.</summary>
    public static IReadOnlyList<string> All { get; } =
        [RoundRobin, Random, WeightedResponseTime, BestAvailable, AvailabilityFiltering, ZoneAvoidance, PowerOfTwoChoices];
}
