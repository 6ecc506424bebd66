using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Proxy.Health;
using Infrastructure.Proxy.LoadBalancing;
using Infrastructure.Proxy.Selection;
using Microsoft.Extensions.Time.Testing;

namespace Infrastructure.Proxy.Tests.Selection;

public sealed class DestinationSelectorTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Choose_TriedHosts_LeftOut()
    {
        var hosts = Instances.Of(3);
        var selector = new DestinationSelector(Instances.Stats());
        var policy = LoadBalancingPolicies.Create(LoadBalancingPolicies.IstioRoundRobin);
        for (var k = 0; k < 10; k++)
        {
            Assert.Equal("svc-2", selector.Choose(hosts, policy, ["svc-0", "svc-1"])!.InstanceId);
        }
        Assert.Null(selector.Choose(hosts, policy, ["svc-0", "svc-1", "svc-2"]));
    }

    [Fact]
    public void ChooseNext_EveryHostTried_AnyHostAgain()
    {
        var hosts = Instances.Of(2);
        var selector = new DestinationSelector(Instances.Stats());
        Assert.NotNull(selector.ChooseNext(hosts, LoadBalancingPolicies.Create(null), ["svc-0", "svc-1"]));
    }

    [Fact]
    public void Choose_EjectedHost_LeftOutEvenWhenAlone()
    {
        var hosts = Instances.Of(2);
        using var outliers = new OutlierDetector(new OutlierDetectionOptions { MaxEjectionPercent = 100 }, _time);
        outliers.SetHosts(hosts.Select(h => h.InstanceId));
        var selector = new DestinationSelector(Instances.Stats(), outliers);
        var policy = LoadBalancingPolicies.Create(LoadBalancingPolicies.IstioRoundRobin);
        for (var k = 0; k < 5; k++)
        {
            using var attempt = selector.Start(hosts[0]);
            attempt.Responded(503);
        }
        for (var k = 0; k < 10; k++)
        {
            Assert.Equal("svc-1", selector.Choose(hosts, policy)!.InstanceId);
        }
        // No panic mode (Istio's minHealthPercent 0): the ejected host is not chosen even when it is the only one left.
        Assert.Null(selector.Choose(hosts, policy, ["svc-1"]));
        _time.Pass(30);
        Assert.Equal("svc-0", selector.Choose(hosts, policy, ["svc-1"])!.InstanceId);
    }

    [Fact]
    public void Start_AttemptOpenThenDisposed_ActiveRequestsCounted()
    {
        var hosts = Instances.Of(1);
        var stats = Instances.Stats();
        var selector = new DestinationSelector(stats);
        var attempt = selector.Start(hosts[0]);
        Assert.Equal(1, stats.Get(hosts[0]).ActiveRequests);
        attempt.Responded(200);
        attempt.Dispose();
        Assert.Equal(0, stats.Get(hosts[0]).ActiveRequests);
        Assert.Equal(1, stats.Get(hosts[0]).TotalRequests);
    }

    [Fact]
    public void FailedBeforeResponse_RibbonThreshold_TrippedHostLeftOutWhileAnotherRemains()
    {
        var hosts = Instances.Of(2);
        var selector = new DestinationSelector(Instances.Stats(new LoadBalancerOptions { ConnectionFailureCountThreshold = 2 }));
        var policy = LoadBalancingPolicies.Create(LoadBalancingPolicies.IstioRoundRobin);
        for (var k = 0; k < 2; k++)
        {
            using var attempt = selector.Start(hosts[0]);
            attempt.FailedBeforeResponse();
        }
        for (var k = 0; k < 10; k++)
        {
            Assert.Equal("svc-1", selector.Choose(hosts, policy)!.InstanceId);
        }
    }

    [Fact]
    public void NextHostRetry_FailuresUntilAttemptsRunOut_EachRetryOnAnotherHost()
    {
        var hosts = Instances.Of(3);
        var selector = new DestinationSelector(Instances.Stats());
        var policy = LoadBalancingPolicies.Create(LoadBalancingPolicies.IstioRandom);
        var retry = new NextHostRetry(maxAttempts: 3);
        var seen = new List<string>();
        while (true)
        {
            var host = selector.ChooseNext(hosts, policy, retry.Tried)!;
            seen.Add(host.InstanceId);
            if (!retry.Failed(host, replayable: true))
            {
                break;
            }
        }
        Assert.Equal(3, seen.Count);
        Assert.Equal(3, seen.Distinct().Count());
    }

    [Fact]
    public void NextHostRetry_NotReplayable_NoRetry()
    {
        var retry = new NextHostRetry(maxAttempts: 3);
        Assert.False(retry.Failed(Instances.Of(1)[0], replayable: false));
        Assert.Equal(["svc-0"], retry.Tried!);
    }
}
