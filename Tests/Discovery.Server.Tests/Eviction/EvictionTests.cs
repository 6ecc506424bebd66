using System.Net;
using System.Text.Json;
using Infrastructure.Discovery.Server.Eviction;
using Infrastructure.Discovery.Server.Registry;
using Infrastructure.Discovery.Server.Replication;
using Infrastructure.Discovery.Server.Tests.Registry;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Eviction;

public sealed class EvictionTests
{
    [Fact]
    public void Evict_SelfPreservationOff_ExpiredLeaseIsEvicted()
    {
        var h = new RegistryHarness(o => o.EnableSelfPreservation = false);
        h.Registry.Register(Info("a", "1", duration: 90), false);

        h.Time.Advance(TimeSpan.FromSeconds(89));
        Assert.Empty(h.Registry.Evict());
        h.Time.Advance(TimeSpan.FromSeconds(2));
        var evicted = Assert.Single(h.Registry.Evict());

        Assert.Equal("1", evicted.Info.InstanceId);
        Assert.Null(h.Registry.GetApplication("A"));
    }

    [Fact]
    public void Evict_ManyExpired_EvictsAtMostTheShareAboveThresholdPerPass()
    {
        var h = new RegistryHarness(o => o.EnableSelfPreservation = false);
        for (var i = 0; i < 10; i++)
        {
            h.Registry.Register(Info("a", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), false);
        }
        h.Time.Advance(TimeSpan.FromSeconds(100));

        // 10 - (int)(10 * 0.85) = 2 per pass, as Eureka limits a mass eviction.
        Assert.Equal(2, h.Registry.Evict().Count);
        Assert.Equal(8, h.Registry.Count);
    }

    [Fact]
    public async Task Evict_SelfPreservationOnAndNoRenews_NothingEvictedAndHealthReportsEmergency()
    {
        var h = new RegistryHarness();
        for (var i = 0; i < 4; i++)
        {
            h.Registry.Register(Info("a", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), false);
        }
        h.Time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(6, h.Registry.NumberOfRenewsPerMinThreshold); // 4 × (60 / 30) × 0.85
        Assert.Empty(h.Registry.Evict());
        Assert.Equal(4, h.Registry.Count);
        Assert.True(h.Registry.IsSelfPreservationActive());

        var health = await new EurekaHealthCheck(h.Registry, new NullPeerReplicator(), new StaticMonitor(h.Options))
            .CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.StartsWith("EMERGENCY!", health.Description, StringComparison.Ordinal);
        Assert.Equal(true, health.Data["selfPreservationActive"]);
    }

    [Fact]
    public void Evict_SelfPreservationOnAndRenewsAboveThreshold_EvictsOnlyTheSilentInstance()
    {
        var h = new RegistryHarness();
        var ids = Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        foreach (var id in ids)
        {
            h.Registry.Register(Info("a", id), false);
        }
        foreach (var step in (int[])[30, 30, 31])
        {
            h.Time.Advance(TimeSpan.FromSeconds(step));
            foreach (var id in ids.Skip(1))
            {
                h.Registry.Renew("a", id, false);
            }
        }

        Assert.True(h.Registry.IsLeaseExpirationEnabled());
        var evicted = Assert.Single(h.Registry.Evict());
        Assert.Equal("0", evicted.Info.InstanceId);
        Assert.False(h.Registry.IsSelfPreservationActive());
    }

    [Fact]
    public void UpdateRenewalThreshold_SelfPreservationOff_FollowsRegistrySize()
    {
        var h = new RegistryHarness(o => o.EnableSelfPreservation = false);
        h.Registry.Register(Info("a", "1"), false);
        h.Registry.Register(Info("a", "2"), false);
        h.Registry.Evict();
        h.Time.Advance(TimeSpan.FromSeconds(100));
        h.Registry.Evict();
        h.Registry.UpdateRenewalThreshold();

        Assert.Equal(h.Registry.Count, h.Registry.ExpectedNumberOfClientsSendingRenews);
    }

    [Fact]
    public async Task EvictionTimer_FakeClockAdvanced_ExpiredInstanceLeaves()
    {
        await using var factory = new EurekaServerFactory();
        factory.Settings["Eureka:Server:EnableSelfPreservation"] = "false";
        factory.Settings["Eureka:Server:EvictionIntervalTimerInMs"] = "1000";
        using var http = factory.CreateClient();
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(http, "timed", "t1")).StatusCode);

        var gone = false;
        for (var i = 0; i < 300 && !gone; i++)
        {
            factory.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
            gone = (await http.GetAsync("/eureka/apps/TIMED/t1")).StatusCode == HttpStatusCode.NotFound;
        }
        Assert.True(gone, "instance was not evicted after its 90 s lease on the fake clock");
    }

    [Fact]
    public async Task Health_RegisteredButSilent_ReportsSelfPreservationDetails()
    {
        await using var factory = new EurekaServerFactory();
        using var http = factory.CreateClient();
        await RegisterAsync(http, "quiet", "q1");
        await RegisterAsync(http, "quiet", "q2");
        factory.Time.Advance(TimeSpan.FromMinutes(2));

        using var doc = JsonDocument.Parse(await http.GetStringAsync("/actuator/health"));
        var eureka = doc.RootElement.GetProperty("components").GetProperty("eureka");
        Assert.Equal("UP", eureka.GetProperty("status").GetString());
        var details = eureka.GetProperty("details");
        Assert.True(details.GetProperty("selfPreservationActive").GetBoolean());
        Assert.Equal(3, details.GetProperty("renewsThreshold").GetInt32());
        Assert.Equal(0, details.GetProperty("renewsLastMinute").GetInt64());
        Assert.StartsWith("EMERGENCY!", details.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prometheus_RegistryGauges_Exported()
    {
        await using var factory = new EurekaServerFactory();
        using var http = factory.CreateClient();
        await RegisterAsync(http, "metered", "m1");

        // The Prometheus exporter serves a briefly cached scrape; poll until the registration shows.
        var text = "";
        for (var i = 0; i < 50 && !System.Text.RegularExpressions.Regex.IsMatch(text, @"eureka_registry_instances(\{[^}]*\})? 1"); i++)
        {
            text = await http.GetStringAsync("/actuator/prometheus");
            await Task.Delay(100);
        }

        Assert.Matches(@"eureka_registry_instances(\{[^}]*\})? 1", text);
        Assert.Contains("eureka_renews_threshold", text, StringComparison.Ordinal);
        Assert.Contains("eureka_self_preservation_active", text, StringComparison.Ordinal);
    }

    private sealed class StaticMonitor(EurekaServerOptions value) : IOptionsMonitor<EurekaServerOptions>
    {
        public EurekaServerOptions CurrentValue => value;

        public EurekaServerOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<EurekaServerOptions, string?> listener) => null;
    }
}
