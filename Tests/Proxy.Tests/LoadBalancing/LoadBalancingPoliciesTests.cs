using Infrastructure.Proxy.LoadBalancing;

namespace Infrastructure.Proxy.Tests.LoadBalancing;

public sealed class LoadBalancingPoliciesTests
{
    [Theory]
    [InlineData(null, "LEAST_REQUEST")]
    [InlineData("", "LEAST_REQUEST")]
    [InlineData("UNSPECIFIED", "LEAST_REQUEST")]
    [InlineData("LEAST_CONN", "LEAST_REQUEST")]
    [InlineData("least_request", "LEAST_REQUEST")]
    [InlineData("ROUND_ROBIN", "ROUND_ROBIN")]
    [InlineData("RANDOM", "RANDOM")]
    [InlineData("PASSTHROUGH", "PASSTHROUGH")]
    [InlineData("RoundRobin", "RoundRobin")]
    [InlineData("com.netflix.loadbalancer.WeightedResponseTimeRule", "WeightedResponseTime")]
    public void Create_IstioOrRibbonName_PolicyWithThatName(string? name, string expected) =>
        Assert.Equal(expected, LoadBalancingPolicies.Create(name).Name);

    [Fact]
    public void Create_UnknownName_ThrowsNamingTheKnownOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => LoadBalancingPolicies.Create("FASTEST"));
        Assert.Contains("FASTEST", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LEAST_REQUEST", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ZoneAvoidance", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RoundRobin_ThreeHosts_EachInTurn()
    {
        var hosts = Instances.Of(3);
        var stats = Instances.Stats();
        var policy = LoadBalancingPolicies.Create(LoadBalancingPolicies.IstioRoundRobin);
        var picked = Enumerable.Range(0, 6).Select(_ => policy.Choose(hosts, stats)!.InstanceId).ToList();
        Assert.Equal(2, picked.Count(id => id == "svc-0"));
        Assert.Equal(2, picked.Count(id => id == "svc-1"));
        Assert.Equal(2, picked.Count(id => id == "svc-2"));
    }

    [Fact]
    public void LeastRequest_TwoHostsOneBusy_AlwaysTheIdleOne()
    {
        var hosts = Instances.Of(2);
        var stats = Instances.Stats();
        var busy = stats.Get(hosts[0]);
        busy.IncrementActiveRequests();
        busy.IncrementActiveRequests();
        var policy = LoadBalancingPolicies.Create(LoadBalancingPolicies.IstioLeastRequest);
        for (var k = 0; k < 50; k++)
        {
            Assert.Equal("svc-1", policy.Choose(hosts, stats)!.InstanceId);
        }
    }

    [Fact]
    public void LeastRequest_ManyHostsOneBusy_BusyOneChosenLessOften()
    {
        var hosts = Instances.Of(4);
        var stats = Instances.Stats();
        for (var k = 0; k < 10; k++)
        {
            stats.Get(hosts[0]).IncrementActiveRequests();
        }
        var policy = LoadBalancingPolicies.Create(null);
        var busyPicks = Enumerable.Range(0, 400).Count(_ => policy.Choose(hosts, stats)!.InstanceId == "svc-0");
        // Two distinct random hosts, the idle one wins: the busy host is never chosen while it is the busiest.
        Assert.Equal(0, busyPicks);
    }

    [Fact]
    public void Random_ManyPicks_EveryHostChosen()
    {
        var hosts = Instances.Of(3);
        var stats = Instances.Stats();
        var policy = LoadBalancingPolicies.Create(LoadBalancingPolicies.IstioRandom);
        var picked = Enumerable.Range(0, 300).Select(_ => policy.Choose(hosts, stats)!.InstanceId).ToHashSet();
        Assert.Equal(3, picked.Count);
    }

    [Fact]
    public void Passthrough_AnyHosts_TheFirstOne()
    {
        var hosts = Instances.Of(3);
        var policy = LoadBalancingPolicies.Create(LoadBalancingPolicies.IstioPassthrough);
        Assert.Equal("svc-0", policy.Choose(hosts, Instances.Stats())!.InstanceId);
        Assert.Null(policy.Choose([], Instances.Stats()));
    }
}
