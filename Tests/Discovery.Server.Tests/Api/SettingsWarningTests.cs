using System.Net;
using System.Text.Json;
using Infrastructure.Discovery.Server.Registry;
using Infrastructure.ServiceDefaults.Options;
using Infrastructure.Testing;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Api;

/// <summary>
/// Values Eureka accepts and we would not choose: the server starts, gives them Eureka's meaning, and reports each once in
/// the log, in <c>/actuator/health</c> and on the dashboard.
/// </summary>
public sealed class SettingsWarningTests
{
    [Fact]
    public async Task RenewalPercentThresholdAboveOne_Starts_EvictsNothingAsEureka_WarningInHealthAndDashboard()
    {
        await using var factory = new EurekaServerFactory();
        factory.Settings["Eureka:Server:EnableSelfPreservation"] = "false";
        factory.Settings["Eureka:Server:RenewalPercentThreshold"] = "2";
        factory.Settings["Eureka:Server:EvictionIntervalTimerInMs"] = "1000";
        factory.Settings["Eureka:Client:ServiceUrl:DefaultZone"] = "ftp://user:secret@peer/eureka/";
        using var http = factory.CreateClient();
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(http, "silent", "s1")).StatusCode);

        // Its 90 s lease runs out long before; Eureka's eviction limit (size - size × 2) is below zero, so nothing goes.
        for (var i = 0; i < 200; i++)
        {
            factory.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/eureka/apps/SILENT/s1")).StatusCode);

        using var health = JsonDocument.Parse(await http.GetStringAsync("/actuator/health"));
        var warnings = health.RootElement.GetProperty("components").GetProperty(SettingsWarningsExtensions.HealthComponent)
            .GetProperty("details").GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Contains(warnings, w => w.StartsWith("Eureka:Server:RenewalPercentThreshold=2:", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("Eureka:Client:ServiceUrl:DefaultZone=(entry 1 of 1): skipped", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Contains("secret", StringComparison.Ordinal));
        Assert.Equal(2, warnings.Count);

        var page = await http.GetStringAsync("/");
        Assert.Contains("id=\"settings-warnings\"", page, StringComparison.Ordinal);
        Assert.Contains("Eureka:Server:RenewalPercentThreshold=2:", page, StringComparison.Ordinal);
        Assert.Contains("No peers configured", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2.0, 0)]
    [InlineData(1.0, 0)]
    [InlineData(-1.0, 2)]
    public void Evict_ThresholdOutsideZeroToOne_LimitAsEureka(double threshold, int evicted)
    {
        // Eureka evicts at most size - (int)(size × threshold) per pass, and none when that is not positive.
        var h = new Registry.RegistryHarness(o =>
        {
            o.EnableSelfPreservation = false;
            o.RenewalPercentThreshold = threshold;
        });
        h.Registry.Register(Info("a", "1"), false);
        h.Registry.Register(Info("a", "2"), false);
        h.Time.Advance(TimeSpan.FromSeconds(200));

        Assert.Equal(evicted, h.Registry.Evict().Count);
    }

    [Fact]
    public void Check_EurekaAcceptedValues_WarnOnly()
    {
        var warnings = new SettingsWarnings();
        var errors = EurekaServerSettingsCheck.Check(new EurekaServerOptions
        {
            RenewalPercentThreshold = -0.5,
            RenewalThresholdUpdateIntervalMs = 50,
            ExpectedClientRenewalIntervalSeconds = 7200,
            EvictionIntervalTimerInMs = 5,
            RetentionTimeInMSInDeltaQueue = 10,
            DeltaRetentionTimerIntervalInMs = 1,
            ResponseCacheUpdateIntervalMs = 9,
            ResponseCacheAutoExpirationInSeconds = 0,
            NumberOfReplicationRetries = 1000,
            PeerNodeReadTimeoutMs = 0,
            RegistrySyncRetries = 5000,
        }, warnings);

        Assert.Empty(errors);
        Assert.Equal(11, warnings.All.Count);
        Assert.All(warnings.All, w => Assert.StartsWith(w.Key + "=", w.Text, StringComparison.Ordinal));
        Assert.Equal(Timeout.InfiniteTimeSpan, EurekaServerSettingsCheck.PeerTimeout(new EurekaServerOptions { PeerNodeReadTimeoutMs = 0 }));
        Assert.Equal(1, EurekaServerSettingsCheck.ReplicationAttempts(new EurekaServerOptions { NumberOfReplicationRetries = -3 }));
    }

    [Fact]
    public async Task Production_SpringVariablesWithStricterValues_StartWithOneWarningLineEach()
    {
        await using var server = await ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["EUREKA_SERVER_RENEWALPERCENTTHRESHOLD"] = "1.5",
            ["EUREKA_SERVER_EVICTIONINTERVALTIMERINMS"] = "5",
            ["EUREKA_CLIENT_SERVICEURL_DEFAULTZONE"] = "peer-without-scheme:8761/eureka/",
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        Assert.Contains("id=\"settings-warnings\"", await http.GetStringAsync("/"), StringComparison.Ordinal);

        string[] keys = ["Eureka:Server:RenewalPercentThreshold=1.5:", "Eureka:Server:EvictionIntervalTimerInMs=5:", "Eureka:Client:ServiceUrl:DefaultZone="];
        foreach (var key in keys)
        {
            var lines = server.Output.Split('\n').Where(l => l.Contains("Configuration warning: " + key, StringComparison.Ordinal)).ToList();
            var line = Assert.Single(lines);
            Assert.Contains("WRN", line, StringComparison.Ordinal);
        }
    }
}
