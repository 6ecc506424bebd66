using Infrastructure.Discovery.Server.Dashboard;
using Infrastructure.Discovery.Server.Registry;
using Infrastructure.Discovery.Server.Replication;
using Infrastructure.Discovery.Server.Tests.Registry;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Dashboard;

public sealed class DashboardPageTests
{
    [Fact]
    public void Render_SelfPreservationActiveAndPeerDown_ShowsEmergencyBannerAndReplicaState()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("catalog", "c1") with { HealthCheckUrl = "http://c1/health", HomePageUrl = "http://c1/" }, false);
        h.Registry.Register(Info("catalog", "c2", InstanceStatus.DOWN), false);
        h.Time.Advance(TimeSpan.FromMinutes(2));
        var peers = new FakeReplicator(
            new PeerNodeStatus(new Uri("http://127.0.0.1:8762/eureka/"), true, h.Time.GetUtcNow(), null, null),
            new PeerNodeStatus(new Uri("http://127.0.0.1:8763/eureka/"), false, null, h.Time.GetUtcNow(), "Connection refused"));

        var html = DashboardPage.Render(h.Registry, peers, h.Options, new Env(), h.Time);

        Assert.Contains("EMERGENCY! EUREKA MAY BE INCORRECTLY CLAIMING INSTANCES ARE UP WHEN THEY&#39;RE NOT.", html, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:8763/eureka/", html, StringComparison.Ordinal);
        Assert.Contains("Connection refused", html, StringComparison.Ordinal);
        Assert.Contains("UP (1)", html, StringComparison.Ordinal);
        Assert.Contains("DOWN (1)", html, StringComparison.Ordinal);
        Assert.Contains("href=\"http://c1/health\"", html, StringComparison.Ordinal);
        Assert.Contains("<th>Renews threshold</th><td>3</td>", html, StringComparison.Ordinal);
        Assert.Contains("http-equiv=\"refresh\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_HostileInstanceFields_AreEncodedAndUnsafeLinksDropped()
    {
        var h = new RegistryHarness(o => o.EnableSelfPreservation = false);
        h.Registry.Register(Info("evil", "<script>alert(1)</script>") with { StatusPageUrl = "javascript:alert(1)" }, false);

        var html = DashboardPage.Render(h.Registry, new FakeReplicator(), h.Options, new Env(), h.Time);

        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", html, StringComparison.Ordinal);
        Assert.Contains("THE SELF PRESERVATION MODE IS TURNED OFF", html, StringComparison.Ordinal);
    }

    private sealed class FakeReplicator(params PeerNodeStatus[] peers) : IPeerReplicator
    {
        public IReadOnlyList<PeerNodeStatus> Peers => peers;

        public bool HasPeers => peers.Length > 0;

        public void Replicate(ReplicationTask task)
        {
        }
    }

    private sealed class Env : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";
        public string ApplicationName { get; set; } = "Discovery.Server";
        public string ContentRootPath { get; set; } = "/";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
