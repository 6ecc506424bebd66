using Infrastructure.Discovery.Client.LoadBalancing;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Client.Tests.LoadBalancing;

public sealed class RuleTests
{
    private static List<ServiceInstance> Instances(int n, Func<int, string?>? zone = null) =>
        Enumerable.Range(0, n).Select(i => new ServiceInstance("svc", "svc-" + i, "127.0.0.1", 9000 + i, false,
            zone?.Invoke(i) is { } z ? new Dictionary<string, string> { ["zone"] = z } : new Dictionary<string, string>())).ToList();

    private static LoadBalancerStats Stats(Action<LoadBalancerOptions>? configure = null)
    {
        var o = new LoadBalancerOptions();
        configure?.Invoke(o);
        return new LoadBalancerStats(Options.Create(o));
    }

    private static Dictionary<string, int> Histogram(ILoadBalancerRule rule, IReadOnlyList<ServiceInstance> instances, LoadBalancerStats stats, int picks)
    {
        var counts = instances.ToDictionary(i => i.InstanceId, _ => 0);
        for (var k = 0; k < picks; k++)
        {
            counts[rule.Choose(instances, stats)!.InstanceId]++;
        }
        return counts;
    }

    private static void Trip(LoadBalancerStats stats, ServiceInstance instance)
    {
        for (var i = 0; i < stats.Options.ConnectionFailureCountThreshold; i++)
        {
            stats.Get(instance).RecordConnectionFailure();
        }
    }

    [Theory]
    [InlineData(LoadBalancerRules.RoundRobin)]
    [InlineData(LoadBalancerRules.Random)]
    [InlineData(LoadBalancerRules.WeightedResponseTime)]
    [InlineData(LoadBalancerRules.BestAvailable)]
    [InlineData(LoadBalancerRules.AvailabilityFiltering)]
    [InlineData(LoadBalancerRules.ZoneAvoidance)]
    [InlineData(LoadBalancerRules.PowerOfTwoChoices)]
    public void Choose_NoInstances_ReturnsNull(string name)
    {
        var rule = LoadBalancerRuleFactory.Create(name);
        Assert.Equal(name, rule.Name);
        Assert.Null(rule.Choose([], Stats()));
    }

    [Fact]
    public void Create_UnknownName_ThrowsListingKnownRules()
    {
        var ex = Assert.Throws<ArgumentException>(() => LoadBalancerRuleFactory.Create("Sticky"));
        Assert.Contains("RoundRobin", ex.Message, StringComparison.Ordinal);
        Assert.Equal(LoadBalancerRules.AvailabilityFiltering, LoadBalancerRuleFactory.Create("AvailabilityFilteringRule").Name);
        // Ribbon's NFLoadBalancerRuleClassName takes the fully qualified class name.
        Assert.Equal(LoadBalancerRules.Random, LoadBalancerRuleFactory.Create("com.netflix.loadbalancer.RandomRule").Name);
    }

    [Fact]
    public void RoundRobin_ThreeInstances_CyclesInOrder()
    {
        var instances = Instances(3);
        var rule = LoadBalancerRuleFactory.Create(LoadBalancerRules.RoundRobin);
        var stats = Stats();
        var picks = Enumerable.Range(0, 6).Select(_ => rule.Choose(instances, stats)!.InstanceId).ToArray();
        Assert.Equal(["svc-0", "svc-1", "svc-2", "svc-0", "svc-1", "svc-2"], picks);
    }

    [Fact]
    public void Random_ManyPicks_EveryInstanceChosenRoughlyEqually()
    {
        var counts = Histogram(LoadBalancerRuleFactory.Create(LoadBalancerRules.Random), Instances(4), Stats(), 4000);
        Assert.All(counts.Values, c => Assert.InRange(c, 700, 1300));
    }

    [Fact]
    public void WeightedResponseTime_SlowInstance_ChosenLessOften()
    {
        var instances = Instances(2);
        var stats = Stats();
        stats.Get(instances[0]).RecordResponse(TimeSpan.FromMilliseconds(10));
        stats.Get(instances[1]).RecordResponse(TimeSpan.FromMilliseconds(90));
        var counts = Histogram(LoadBalancerRuleFactory.Create(LoadBalancerRules.WeightedResponseTime), instances, stats, 4000);
        // Weights are 90 and 10: the fast instance should get about 90 %.
        Assert.InRange(counts["svc-0"], 3300, 3900);
    }

    [Fact]
    public void WeightedResponseTime_NoMeasurements_FallsBackToRoundRobin()
    {
        var counts = Histogram(LoadBalancerRuleFactory.Create(LoadBalancerRules.WeightedResponseTime), Instances(2), Stats(), 10);
        Assert.Equal(5, counts["svc-0"]);
    }

    [Fact]
    public void BestAvailable_BusyInstances_PicksLeastOutstanding()
    {
        var instances = Instances(3);
        var stats = Stats();
        stats.Get(instances[0]).IncrementActiveRequests();
        stats.Get(instances[0]).IncrementActiveRequests();
        stats.Get(instances[2]).IncrementActiveRequests();
        var rule = LoadBalancerRuleFactory.Create(LoadBalancerRules.BestAvailable);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("svc-1", rule.Choose(instances, stats)!.InstanceId);
        }
    }

    [Fact]
    public void BestAvailable_IdleInstanceTripped_SkipsIt()
    {
        var instances = Instances(2);
        var stats = Stats();
        stats.Get(instances[1]).IncrementActiveRequests();
        Trip(stats, instances[0]);
        var rule = LoadBalancerRuleFactory.Create(LoadBalancerRules.BestAvailable);
        Assert.Equal("svc-1", rule.Choose(instances, stats)!.InstanceId);
    }

    [Fact]
    public void AvailabilityFiltering_ThreeConnectionFailures_InstanceSkipped()
    {
        var instances = Instances(3);
        var stats = Stats();
        var rule = LoadBalancerRuleFactory.Create(LoadBalancerRules.AvailabilityFiltering);
        stats.Get(instances[1]).RecordConnectionFailure();
        stats.Get(instances[1]).RecordConnectionFailure();
        Assert.Equal(3, Histogram(rule, instances, stats, 9)["svc-1"]);
        stats.Get(instances[1]).RecordConnectionFailure();
        var counts = Histogram(rule, instances, stats, 90);
        Assert.Equal(0, counts["svc-1"]);
        Assert.Equal(45, counts["svc-0"]);
    }

    [Fact]
    public void ResponsesBrokenOffMidBody_ThreeInARow_InstanceTripped_ACompleteAnswerBetweenBreaksTheStreak()
    {
        var instances = Instances(2);
        var stats = Stats();
        var broken = stats.Get(instances[0]);
        for (var i = 0; i < 3; i++)
        {
            // Headers arrived (the streak is cleared), then the body broke off.
            broken.RecordResponse(TimeSpan.FromMilliseconds(1));
            broken.RecordResponseBroken();
        }
        Assert.Equal(3, broken.SuccessiveConnectionFailures);
        Assert.Equal(3, broken.TotalFailures);
        Assert.True(broken.IsCircuitBreakerTripped());

        var sometimes = stats.Get(instances[1]);
        sometimes.RecordResponse(TimeSpan.FromMilliseconds(1));
        sometimes.RecordResponseBroken();
        sometimes.RecordResponse(TimeSpan.FromMilliseconds(1));
        sometimes.RecordResponse(TimeSpan.FromMilliseconds(1));
        sometimes.RecordResponseBroken();
        Assert.Equal(1, sometimes.SuccessiveConnectionFailures);
    }

    [Fact]
    public void AvailabilityFiltering_SuccessAfterTrip_InstanceBack()
    {
        var instances = Instances(2);
        var stats = Stats();
        Trip(stats, instances[0]);
        Assert.True(stats.Get(instances[0]).IsCircuitBreakerTripped());
        stats.Get(instances[0]).RecordResponse(TimeSpan.FromMilliseconds(1));
        Assert.False(stats.Get(instances[0]).IsCircuitBreakerTripped());
    }

    [Fact]
    public void AvailabilityFiltering_OverActiveConnectionsLimit_InstanceSkipped()
    {
        var instances = Instances(2);
        var stats = Stats(o => o.ActiveConnectionsLimit = 2);
        stats.Get(instances[0]).IncrementActiveRequests();
        stats.Get(instances[0]).IncrementActiveRequests();
        var counts = Histogram(LoadBalancerRuleFactory.Create(LoadBalancerRules.AvailabilityFiltering), instances, stats, 10);
        Assert.Equal(10, counts["svc-1"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void AvailabilityFiltering_ActiveConnectionsLimitZeroOrLess_NoLimit(int limit)
    {
        // Ribbon reads -1 as no limit; with 0 its filter skips every instance and it falls back to round robin.
        var instances = Instances(2);
        var stats = Stats(o => o.ActiveConnectionsLimit = limit);
        stats.Get(instances[0]).IncrementActiveRequests();
        Assert.True(stats.Get(instances[0]).IsAvailable());
        Assert.True(stats.Get(instances[1]).IsAvailable());
    }

    [Fact]
    public void AvailabilityFiltering_AllTripped_StillReturnsAnInstance()
    {
        var instances = Instances(2);
        var stats = Stats();
        Trip(stats, instances[0]);
        Trip(stats, instances[1]);
        Assert.NotNull(LoadBalancerRuleFactory.Create(LoadBalancerRules.AvailabilityFiltering).Choose(instances, stats));
    }

    [Fact]
    public void ZoneAvoidance_CallerZone_PrefersSameZone()
    {
        var instances = Instances(4, i => i < 2 ? "zone-a" : "zone-b");
        var stats = Stats(o => o.Zone = "zone-b");
        var counts = Histogram(LoadBalancerRuleFactory.Create(LoadBalancerRules.ZoneAvoidance), instances, stats, 100);
        Assert.Equal(0, counts["svc-0"] + counts["svc-1"]);
        Assert.InRange(counts["svc-2"], 40, 60);
    }

    [Fact]
    public void ZoneAvoidance_SameZoneTripped_UsesOtherZone()
    {
        var instances = Instances(3, i => i == 0 ? "zone-a" : "zone-b");
        var stats = Stats(o => o.Zone = "zone-a");
        Trip(stats, instances[0]);
        var counts = Histogram(LoadBalancerRuleFactory.Create(LoadBalancerRules.ZoneAvoidance), instances, stats, 40);
        Assert.Equal(0, counts["svc-0"]);
        Assert.Equal(40, counts["svc-1"] + counts["svc-2"]);
    }

    [Fact]
    public void PowerOfTwoChoices_OneBusyInstance_NeverChosenOverIdle()
    {
        var instances = Instances(2);
        var stats = Stats();
        stats.Get(instances[0]).IncrementActiveRequests();
        var counts = Histogram(LoadBalancerRuleFactory.Create(LoadBalancerRules.PowerOfTwoChoices), instances, stats, 50);
        Assert.Equal(50, counts["svc-1"]);
    }

    [Fact]
    public void PowerOfTwoChoices_EqualLoad_SpreadsAcrossInstances()
    {
        var counts = Histogram(LoadBalancerRuleFactory.Create(LoadBalancerRules.PowerOfTwoChoices), Instances(3), Stats(), 3000);
        Assert.All(counts.Values, c => Assert.InRange(c, 400, 1600));
    }

    [Fact]
    public void ServerStats_ResponseTimes_EwmaMovesTowardsNewSamples()
    {
        var s = Stats().Get(Instances(1)[0]);
        s.RecordResponse(TimeSpan.FromMilliseconds(100));
        Assert.Equal(100, s.ResponseTimeAverageMs, 3);
        s.RecordResponse(TimeSpan.FromMilliseconds(200));
        Assert.Equal(120, s.ResponseTimeAverageMs, 3);
    }
}
