namespace Infrastructure.Discovery.Client.LoadBalancing;

/// <summary>Creates rule instances by name.</summary>
public static class LoadBalancerRuleFactory
{
    /// <summary>
    /// A new rule named <paramref name="name"/> (case-insensitive; Ribbon's class names are accepted too, with or without their
    /// package: <c>RandomRule</c>, <c>com.netflix.loadbalancer.RandomRule</c>, as <c>NFLoadBalancerRuleClassName</c> takes them).
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="LoadBalancerRules"/>.</exception>
    public static ILoadBalancerRule Create(string name)
    {
        var n = name.Trim();
        n = n[(n.LastIndexOf('.') + 1)..];
        if (n.EndsWith("Rule", StringComparison.OrdinalIgnoreCase))
        {
            n = n[..^4];
        }
        return n.ToUpperInvariant() switch
        {
            "ROUNDROBIN" => new RoundRobinRule(),
            "RANDOM" => new RandomRule(),
            "WEIGHTEDRESPONSETIME" => new WeightedResponseTimeRule(),
            "BESTAVAILABLE" or "LEASTOUTSTANDINGREQUESTS" => new BestAvailableRule(),
            "AVAILABILITYFILTERING" => new AvailabilityFilteringRule(),
            "ZONEAVOIDANCE" => new ZoneAvoidanceRule(),
            "POWEROFTWOCHOICES" => new PowerOfTwoChoicesRule(),
            _ => throw new ArgumentException($"unknown load-balancer rule '{name}'; known rules: {string.Join(", ", LoadBalancerRules.All)}", nameof(name)),
        };
    }

    /// <summary>Whether <paramref name="name"/> names a rule.</summary>
    public static bool IsKnown(string name)
    {
        try
        {
            Create(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

internal sealed class RoundRobinRule : ILoadBalancerRule
{
    private int _next = -1;

    public string Name => LoadBalancerRules.RoundRobin;

    public ServiceInstance? Choose(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats) =>
        instances.Count == 0 ? null : instances[NextIndex(instances.Count)];

    internal int NextIndex(int count) => (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
}

internal sealed class RandomRule : ILoadBalancerRule
{
    public string Name => LoadBalancerRules.Random;

    public ServiceInstance? Choose(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats) =>
        instances.Count == 0 ? null : instances[System.Random.Shared.Next(instances.Count)];
}

/// <summary>Weight of an instance = (sum of all mean response times) − (its own), so faster instances win more often.</summary>
internal sealed class WeightedResponseTimeRule : ILoadBalancerRule
{
    private readonly RoundRobinRule _fallback = new();

    public string Name => LoadBalancerRules.WeightedResponseTime;

    public ServiceInstance? Choose(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats)
    {
        var count = instances.Count;
        if (count <= 1)
        {
            return count == 0 ? null : instances[0];
        }
        double total = 0;
        for (var i = 0; i < count; i++)
        {
            var rt = stats.Get(instances[i]).ResponseTimeAverageMs;
            if (rt <= 0)
            {
                // Until every instance has been measured, spread the load evenly so each gets a figure.
                return _fallback.Choose(instances, stats);
            }
            total += rt;
        }
        var totalWeight = (total * count) - total;
        var pick = System.Random.Shared.NextDouble() * totalWeight;
        double cumulative = 0;
        for (var i = 0; i < count; i++)
        {
            cumulative += total - stats.Get(instances[i]).ResponseTimeAverageMs;
            if (pick < cumulative)
            {
                return instances[i];
            }
        }
        return instances[count - 1];
    }
}

internal sealed class BestAvailableRule : ILoadBalancerRule
{
    private readonly RoundRobinRule _start = new();

    public string Name => LoadBalancerRules.BestAvailable;

    public ServiceInstance? Choose(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats)
    {
        var count = instances.Count;
        if (count == 0)
        {
            return null;
        }
        // Start the scan at a rotating offset so ties are spread rather than always won by the first instance.
        var offset = _start.NextIndex(count);
        ServiceInstance? best = null;
        var bestActive = int.MaxValue;
        for (var k = 0; k < count; k++)
        {
            var candidate = instances[(offset + k) % count];
            var s = stats.Get(candidate);
            if (s.IsCircuitBreakerTripped())
            {
                continue;
            }
            var active = s.ActiveRequests;
            if (active < bestActive)
            {
                best = candidate;
                bestActive = active;
            }
        }
        return best ?? instances[offset];
    }
}

/// <summary>Round robin over the available instances; when none is available, plain round robin (as Ribbon falls back).</summary>
internal sealed class AvailabilityFilteringRule : ILoadBalancerRule
{
    private readonly RoundRobinRule _roundRobin = new();

    public string Name => LoadBalancerRules.AvailabilityFiltering;

    public ServiceInstance? Choose(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats) =>
        instances.Count == 0 ? null
            : AvailableInZone.Pick(instances, stats, zone: null, _roundRobin) ?? instances[_roundRobin.NextIndex(instances.Count)];
}

/// <summary>Available instances in the caller's zone; else available ones anywhere; else any (round robin in each case).</summary>
internal sealed class ZoneAvoidanceRule : ILoadBalancerRule
{
    private readonly RoundRobinRule _roundRobin = new();

    public string Name => LoadBalancerRules.ZoneAvoidance;

    public ServiceInstance? Choose(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats)
    {
        if (instances.Count == 0)
        {
            return null;
        }
        var zone = stats.Options.Zone;
        return (string.IsNullOrEmpty(zone) ? null : AvailableInZone.Pick(instances, stats, zone, _roundRobin))
            ?? AvailableInZone.Pick(instances, stats, zone: null, _roundRobin)
            ?? instances[_roundRobin.NextIndex(instances.Count)];
    }
}

/// <summary>Round robin among the instances that pass the availability check (and are in a zone), without allocating a filtered list.</summary>
internal static class AvailableInZone
{
    public static ServiceInstance? Pick(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats, string? zone, RoundRobinRule counter)
    {
        var matching = 0;
        for (var i = 0; i < instances.Count; i++)
        {
            if (Matches(instances[i], stats, zone))
            {
                matching++;
            }
        }
        if (matching == 0)
        {
            return null;
        }
        var nth = counter.NextIndex(matching);
        for (var i = 0; i < instances.Count; i++)
        {
            if (Matches(instances[i], stats, zone) && nth-- == 0)
            {
                return instances[i];
            }
        }
        // The figures moved between the two passes; any available answer is as good.
        return null;
    }

    private static bool Matches(ServiceInstance instance, LoadBalancerStats stats, string? zone) =>
        (zone is null || string.Equals(instance.Zone, zone, StringComparison.OrdinalIgnoreCase)) && stats.Get(instance).IsAvailable();
}

internal sealed class PowerOfTwoChoicesRule : ILoadBalancerRule
{
    public string Name => LoadBalancerRules.PowerOfTwoChoices;

    public ServiceInstance? Choose(IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats)
    {
        var count = instances.Count;
        if (count <= 1)
        {
            return count == 0 ? null : instances[0];
        }
        var a = System.Random.Shared.Next(count);
        var b = System.Random.Shared.Next(count - 1);
        if (b >= a)
        {
            b++;
        }
        var sa = stats.Get(instances[a]);
        var sb = stats.Get(instances[b]);
        var aOk = sa.IsAvailable();
        var bOk = sb.IsAvailable();
        if (aOk != bOk)
        {
            return aOk ? instances[a] : instances[b];
        }
        return sb.ActiveRequests < sa.ActiveRequests ? instances[b] : instances[a];
    }
}
