using System.Net;
using System.Text.Json;
using Infrastructure.Gateway.Tests.Forwarding;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.ServiceDefaults.Options;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests.Settings;

/// <summary>
/// Values Spring Cloud Gateway and Hystrix accept where we would be stricter: the gateway starts, gives them the mirrored
/// system's meaning, and reports each once in the log, in <c>/actuator/health</c> and on <c>/dashboard</c>.
/// </summary>
public sealed class SettingsWarningTests
{
    [Fact]
    public async Task SpringDurationsAndHystrixEdgeValues_StartWithTheirMeaning_AndAreShown()
    {
        using var hung = new HungInstanceTests.HungListener();
        var dead = $"http://127.0.0.1:{FreePort.Next()}";
        var c = new RouteConfig()
            .Set("Gateway:HttpClient:ResponseTimeout", "200ms")
            .Set("Gateway:CircuitBreakers:lone:RequestVolumeThreshold", "1")
            .Set("Gateway:CircuitBreakers:lone:SleepWindowInMilliseconds", "60000")
            .Set("Gateway:CircuitBreakers:pair:RequestVolumeThreshold", "2")
            .Set("Gateway:CircuitBreakers:pair:SleepWindowInMilliseconds", "60000")
            .Set("Gateway:CircuitBreakers:never:ErrorThresholdPercentage", "101")
            .Set("Gateway:CircuitBreakers:never:RequestVolumeThreshold", "2")
            .Set("Gateway:CircuitBreakers:never:SleepWindowInMilliseconds", "100")
            .Route("hung", hung.Url, ["Path=/hung/**"])
            .Route("hung-iso", hung.Url, ["Path=/iso/**"], metadata: new() { ["response-timeout"] = "PT0.3S" })
            .Route("lone", dead, ["Path=/lone/**"], ["CircuitBreaker=lone"])
            .Route("pair", dead, ["Path=/pair/**"], ["CircuitBreaker=pair"])
            .Route("never", dead, ["Path=/never/**"], ["CircuitBreaker=never"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        // Spring's Duration: 200ms globally, PT0.3S for one route.
        using (var r = await client.GetAsync("/hung/x"))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, r.StatusCode);
            Assert.Contains("within 200 ms", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var r = await client.GetAsync("/iso/x"))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, r.StatusCode);
            Assert.Contains("within 300 ms", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Hystrix's requestVolumeThreshold 1: the first failure opens the circuit; with 2 one failure does not.
        Assert.Equal(HttpStatusCode.BadGateway, await StatusAsync(client, "/lone/x"));
        using (var open = await client.GetAsync("/lone/x"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, open.StatusCode);
            Assert.Contains("is open", await open.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.BadGateway, await StatusAsync(client, "/pair/x"));
        Assert.Equal(HttpStatusCode.BadGateway, await StatusAsync(client, "/pair/x"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(client, "/pair/x"));

        // Hystrix's errorThresholdPercentage above 100: never opens, however many failures.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.BadGateway, await StatusAsync(client, "/never/x"));
        }

        using var health = JsonDocument.Parse(await client.GetStringAsync("/actuator/health"));
        var warnings = health.RootElement.GetProperty("components").GetProperty(SettingsWarningsExtensions.HealthComponent)
            .GetProperty("details").GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Contains(warnings, w => w.StartsWith("Gateway:CircuitBreakers:lone:RequestVolumeThreshold=1:", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("Gateway:CircuitBreakers:never:ErrorThresholdPercentage=101: the circuit never opens", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("Gateway:CircuitBreakers:never:SleepWindowInMilliseconds=100: 500 ms used instead", StringComparison.Ordinal));
        Assert.Equal(3, warnings.Count);

        var page = await client.GetStringAsync("/dashboard");
        Assert.Contains("id=\"settings-warnings\"", page, StringComparison.Ordinal);
        Assert.Contains("Gateway:CircuitBreakers:lone:RequestVolumeThreshold=1:", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Gateway:HttpClient:ResponseTimeout", "5 parsecs")]
    [InlineData("Gateway:HttpClient:ResponseTimeout", "PT5X")]
    public void ResponseTimeout_NotADuration_RefusedNamingTheKey(string key, string value)
    {
        var ex = FailedStart.Of(() => new GatewayHost(new() { [key] = value }), h => h.NewClient().Dispose());

        var text = string.Join(" | ", Chain(ex).Select(e => e.Message));
        Assert.Contains(key, text, StringComparison.Ordinal);
        Assert.Contains("not a duration", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_SpringVariables_DurationAndHystrixVolume_OneWarningLineEach()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await ServerProcess.StartAsync("Gateway", environment: new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["SPRING_CLOUD_GATEWAY_HTTPCLIENT_RESPONSETIMEOUT"] = "5s",
            ["Gateway__CircuitBreakers__Default__RequestVolumeThreshold"] = "0",
            ["SPRING_CLOUD_GATEWAY_ROUTES_0_ID"] = "orders",
            ["SPRING_CLOUD_GATEWAY_ROUTES_0_URI"] = backend.Url,
            ["SPRING_CLOUD_GATEWAY_ROUTES_0_PREDICATES_0"] = "Path=/orders/**",
            ["SPRING_CLOUD_GATEWAY_ROUTES_0_FILTERS_0"] = "CircuitBreaker=orders",
        });
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        using var r = await http.GetAsync("/orders/42");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var line = Assert.Single(gateway.Output.Split('\n'), l => l.Contains("Configuration warning: Gateway:CircuitBreakers:Default:RequestVolumeThreshold=0:", StringComparison.Ordinal));
        Assert.Contains("WRN", line, StringComparison.Ordinal);
        Assert.DoesNotContain("ResponseTimeout", gateway.Output, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path)
    {
        using var r = await client.GetAsync(path);
        return r.StatusCode;
    }

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}

/// <summary>The start-up check of the Gateway's and Ribbon's settings: what warns, and that nothing the mirrored systems accept refuses.</summary>
public sealed class GatewaySettingsCheckTests
{
    [Fact]
    public void SpringAndRibbonValues_WarnOnly()
    {
        var warnings = new SettingsWarnings();
        var options = new GatewayOptions { HttpClient = { ConnectTimeout = 0, ResponseTimeout = new(TimeSpan.FromSeconds(-1)) } };
        options.CircuitBreakers["x"] = new() { ErrorThresholdPercentage = 0, RollingStatsTimeInMilliseconds = 100_000_000 };

        Assert.Empty(GatewaySettingsCheck.Check(options, warnings));
        Assert.Empty(GatewaySettingsCheck.CheckLoadBalancer(new Discovery.Client.LoadBalancing.LoadBalancerOptions
        {
            ConnectionFailureCountThreshold = 0,
            CircuitTripTimeoutFactorSeconds = 100_000,
            CircuitTripMaxTimeoutSeconds = 0,
            ActiveConnectionsLimit = -1,
            MaxAutoRetriesNextServer = -1,
            ReadTimeout = -1,
            Clients = { ["order"] = new() { ReadTimeout = -5 } },
        }, warnings));

        Assert.Equal(
        [
            "Gateway:HttpClient:ResponseTimeout", "Gateway:HttpClient:ConnectTimeout",
            "Gateway:CircuitBreakers:x:ErrorThresholdPercentage", "Gateway:CircuitBreakers:x:RollingStatsTimeInMilliseconds",
            "Gateway:LoadBalancer:ConnectionFailureCountThreshold", "Gateway:LoadBalancer:CircuitTripTimeoutFactorSeconds",
            "Gateway:LoadBalancer:CircuitTripMaxTimeoutSeconds", "Gateway:LoadBalancer:ActiveConnectionsLimit",
            "Gateway:LoadBalancer:MaxAutoRetriesNextServer", "Gateway:LoadBalancer:ReadTimeout", "Gateway:LoadBalancer:Clients:order:ReadTimeout",
        ], warnings.All.Select(w => w.Key));
        Assert.Equal(TimeSpan.FromDays(1), Infrastructure.Gateway.Resilience.HystrixMapping.ToPolly(options.CircuitBreakers["x"]).SamplingDuration);
        Assert.True(Infrastructure.Gateway.Resilience.HystrixMapping.ToPolly(options.CircuitBreakers["x"]).FailureRatio is > 0.0 and < 0.001);
    }

    [Fact]
    public void NegativeHystrixTimeout_Refused()
    {
        var options = new GatewayOptions();
        options.CircuitBreakers["x"] = new() { TimeoutInMilliseconds = -1 };

        Assert.Equal("Gateway:CircuitBreakers:x:TimeoutInMilliseconds must not be negative (0 turns the time limit off)",
            Assert.Single(GatewaySettingsCheck.Check(options, new SettingsWarnings())));
    }
}
