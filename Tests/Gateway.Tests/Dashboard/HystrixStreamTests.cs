using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests.Dashboard;

/// <summary>A gateway with short dashboard windows over real Kestrel backends: a healthy one, a sick one and one with a chaos switch.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    private GatewayHost? _host;

    internal TestBackend Good { get; private set; } = null!;
    internal TestBackend Sick { get; private set; } = null!;
    internal TestBackend Flappy { get; private set; } = null!;
    internal ChaosBackend Chaos { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public string SickInstanceId => $"127.0.0.1:dashsvc:{Sick.Port}";
    public string ChaosInstanceId => $"127.0.0.1:chaossvc:{new Uri(Chaos.Url).Port}";

    public async Task InitializeAsync()
    {
        Good = await TestBackend.StartAsync("good");
        Sick = await TestBackend.StartAsync("sick");
        Sick.FailWith = 500;
        Flappy = await TestBackend.StartAsync("flappy");
        Chaos = await ChaosBackend.StartAsync();
        var c = new RouteConfig()
            .Instances("dashsvc", Good.Url, Sick.Url)
            .Instances("chaossvc", Chaos.Url)
            .Instances("flappysvc", Flappy.Url)
            .Instances("retrysvc", Good.Url, Sick.Url)
            .Set("Gateway:Dashboard:RollingStatsTimeInMilliseconds", "3000")
            .Set("Gateway:Dashboard:RollingStatsNumBuckets", "6")
            .Set("Gateway:Dashboard:StreamIntervalMilliseconds", "200")
            .Set("Gateway:Dashboard:MaxConcurrentConnections", "3")
            .Set("Gateway:CircuitBreakers:dashcb:RequestVolumeThreshold", "4")
            .Set("Gateway:CircuitBreakers:dashcb:SleepWindowInMilliseconds", "1000")
            .Set("Gateway:CircuitBreakers:dashcb:RollingStatsTimeInMilliseconds", "2000")
            .Set("Gateway:CircuitBreakers:dashcb:TimeoutInMilliseconds", "0")
            .Set("Gateway:CircuitBreakers:inst:RequestVolumeThreshold", "4")
            .Set("Gateway:CircuitBreakers:inst:SleepWindowInMilliseconds", "60000")
            .Set("Gateway:CircuitBreakers:inst:TimeoutInMilliseconds", "0")
            .Route("dash-lb", "lb://dashsvc", ["Path=/dash/**"], ["StripPrefix=1"], metadata: new() { ["instance-circuit-breaker"] = "inst" })
            .Route("dash-limited", Good.Url, ["Path=/limited/**"], ["RequestRateLimiter=1, 1"])
            .Route("dash-chaos", "lb://chaossvc", ["Path=/chaossvc/**"], ["StripPrefix=1"])
            .Route("dash-retry", "lb://retrysvc", ["Path=/retry/**"], ["StripPrefix=1", "Retry=2"])
            .Set("Gateway:Routes:4:Id", "dash-cb")
            .Set("Gateway:Routes:4:Uri", "lb://flappysvc")
            .Set("Gateway:Routes:4:Predicates:0", "Path=/flappy/**")
            .Set("Gateway:Routes:4:Filters:0", "StripPrefix=1")
            .Set("Gateway:Routes:4:Filters:1:Name", "CircuitBreaker")
            .Set("Gateway:Routes:4:Filters:1:Args:name", "dashcb")
            .Set("Gateway:Routes:4:Filters:1:Args:statusCodes", "500");
        _host = new GatewayHost(c.Settings);
        Client = _host.NewClient();
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await _host!.DisposeAsync();
        await Good.DisposeAsync();
        await Sick.DisposeAsync();
        await Flappy.DisposeAsync();
        await Chaos.DisposeAsync();
    }
}

public sealed class HystrixStreamTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static bool IsCommand(JsonObject e, string name) => (string?)e["type"] == "HystrixCommand" && (string?)e["name"] == name;

    [Fact]
    public async Task Stream_Opened_EventStreamWithRegistryEvent()
    {
        using var sse = await SseClient.OpenAsync(fixture.Client);

        Assert.Equal(HttpStatusCode.OK, sse.Response.StatusCode);
        Assert.Equal("text/event-stream", sse.Response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-cache", sse.Response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        var registry = await sse.WaitForAsync(e => (string?)e["type"] == "Registry", Patience, "type Registry");
        var apps = registry["apps"]!.AsArray().Select(a => a!.AsObject()).ToList();
        var dash = Assert.Single(apps, a => (string?)a["name"] == "dashsvc");
        Assert.Equal(2, (int)dash["up"]!);
        Assert.All(dash["instances"]!.AsArray(), i => Assert.Equal("UP", (string?)i!["status"]));
        Assert.Contains(dash["instances"]!.AsArray(), i => (string?)i!["instanceId"] == fixture.SickInstanceId
            && (string?)i["homePageUrl"] == fixture.Sick.Url + "/");
    }

    [Fact]
    public async Task Stream_TrafficOnTwoInstances_PerRouteAndPerInstanceFigures()
    {
        using var sse = await SseClient.OpenAsync(fixture.Client);
        await using (new LoadLoop(fixture.Client, "/dash/delay/5", pauseMs: 10))
        {
            var route = await sse.WaitForAsync(e => IsCommand(e, "dash-lb") && (long)e["requestCount"]! >= 8 && (long)e["errorCount"]! >= 2,
                Patience, "dash-lb requestCount >= 8 and errors");
            Assert.Equal("dashsvc", (string?)route["group"]);
            Assert.Equal("dash-lb", (string?)route["route"]);
            Assert.Null(route["instance"]);
            Assert.InRange((int)route["errorPercentage"]!, 1, 100);
            Assert.True((double)route["requestsPerSecond"]! > 0);
            Assert.Equal(3000, (int)route["propertyValue_metricsRollingStatisticalWindowInMilliseconds"]!);
            Assert.Equal(1, (int)route["reportingHosts"]!);
            var latency = route["latencyTotal"]!.AsObject();
            Assert.Equal(["0", "25", "50", "75", "90", "95", "99", "99.5", "100"], latency.Select(p => p.Key));
            Assert.True((long)latency["100"]! >= (long)latency["50"]!);
            Assert.True((double)route["latencyMaxMs"]! >= (double)route["latencyP99Ms"]!);
            Assert.True(route["currentTime"]!.GetValue<long>() > 1_700_000_000_000);

            var sick = await sse.WaitForAsync(e => IsCommand(e, $"dash-lb/{fixture.SickInstanceId}") && (long)e["errorCount"]! >= 1,
                Patience, "the sick instance's errors");
            Assert.Equal(fixture.SickInstanceId, (string?)sick["instance"]);
            Assert.Equal("dash-lb", (string?)sick["group"]);
            Assert.Equal((long)sick["requestCount"]!, (long)sick["errorCount"]!);
            Assert.Equal("inst/" + fixture.SickInstanceId, (string?)sick["circuitName"]);
            // Its instance breaker opens (4 failures, 60 s sleep window) and the load balancer routes around it.
            var open = await sse.WaitForAsync(e => IsCommand(e, $"dash-lb/{fixture.SickInstanceId}") && (string?)e["circuitState"] == "OPEN",
                Patience, "the sick instance's breaker OPEN");
            Assert.True((bool)open["isCircuitBreakerOpen"]!);
            Assert.EndsWith("Z", (string)open["circuitChangedAt"]!, StringComparison.Ordinal);
            var good = await sse.WaitForAsync(e => IsCommand(e, $"dash-lb/127.0.0.1:dashsvc:{fixture.Good.Port}") && (long)e["requestCount"]! > 0,
                Patience, "the good instance's figures");
            Assert.Equal(0, (long)good["errorCount"]!);
            Assert.Equal("CLOSED", (string?)good["circuitState"]);
        }
    }

    [Fact]
    public async Task Stream_RouteBreakerFailingThenHealed_OpenShortCircuitedThenClosed()
    {
        using var sse = await SseClient.OpenAsync(fixture.Client);
        fixture.Flappy.FailWith = 500;
        try
        {
            await using (new LoadLoop(fixture.Client, "/flappy/x", pauseMs: 20))
            {
                var open = await sse.WaitForAsync(e => IsCommand(e, "dash-cb") && (string?)e["circuitState"] == "OPEN" && (long)e["rollingCountShortCircuited"]! > 0,
                    Patience, "dash-cb OPEN with short-circuited requests");
                Assert.True((bool)open["isCircuitBreakerOpen"]!);
                Assert.Equal("dashcb", (string?)open["circuitName"]);
                Assert.Equal(4, (int)open["propertyValue_circuitBreakerRequestVolumeThreshold"]!);
                Assert.Equal(1000, (int)open["propertyValue_circuitBreakerSleepWindowInMilliseconds"]!);
                var openedAt = DateTimeOffset.Parse((string)open["circuitChangedAt"]!, System.Globalization.CultureInfo.InvariantCulture);

                fixture.Flappy.FailWith = null;
                var closed = await sse.WaitForAsync(e => IsCommand(e, "dash-cb") && (string?)e["circuitState"] == "CLOSED",
                    Patience, "dash-cb CLOSED after healing");
                Assert.False((bool)closed["isCircuitBreakerOpen"]!);
                Assert.True(DateTimeOffset.Parse((string)closed["circuitChangedAt"]!, System.Globalization.CultureInfo.InvariantCulture) >= openedAt);
            }
        }
        finally
        {
            fixture.Flappy.FailWith = null;
        }
    }

    [Fact]
    public async Task Stream_FailuresRetriedOnTheOtherInstance_RouteCleanButInstanceAttemptsShowThem()
    {
        using var sse = await SseClient.OpenAsync(fixture.Client);
        await sse.WaitForAsync(e => (string?)e["type"] == "Registry", Patience, "a first batch (the attempts baseline)");
        for (var i = 0; i < 6; i++)
        {
            using var r = await fixture.Client.GetAsync("/retry/x");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        var sickId = $"127.0.0.1:retrysvc:{fixture.Sick.Port}";
        // Batches written while the requests ran are still in the stream: wait for one written after they all ended.
        var registry = await sse.WaitForAsync(e => (string?)e["type"] == "Registry" && RetryInstance(e, sickId) is { } i
                && (long)i["attemptFailures"]! >= 3 && (int)i["inFlight"]! == 0 && (long)i["attempts"]! == (long)i["attemptFailures"]!,
            Patience, "the sick retrysvc instance's failed attempts, none in flight");
        var sick = RetryInstance(registry, sickId)!;
        Assert.Equal((long)sick["attempts"]!, (long)sick["attemptFailures"]!);
        var route = await sse.WaitForAsync(e => IsCommand(e, "dash-retry") && (long)e["requestCount"]! > 0, Patience, "the dash-retry route");
        // All six unless the machine was so slow that the first ones already left the 3 s window.
        Assert.InRange((long)route["requestCount"]!, 1, 6);
        Assert.Equal(0, (long)route["errorCount"]!);
    }

    private static JsonObject? RetryInstance(JsonObject registry, string instanceId) =>
        registry["apps"]!.AsArray().Where(a => (string?)a!["name"] == "retrysvc")
            .SelectMany(a => a!["instances"]!.AsArray()).FirstOrDefault(i => (string?)i!["instanceId"] == instanceId)?.AsObject();

    [Fact]
    public async Task Stream_RateLimiterRejects_RateLimitedCounted()
    {
        using var sse = await SseClient.OpenAsync(fixture.Client);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var r = await fixture.Client.GetAsync("/limited/x");
            statuses.Add(r.StatusCode);
        }
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        var e = await sse.WaitForAsync(e => IsCommand(e, "dash-limited") && (long)e["rateLimited"]! > 0, Patience, "dash-limited rateLimited > 0");
        Assert.Equal(0, (long)e["errorCount"]!);
    }

    [Fact]
    public async Task Stream_TooManyClients_503ThenSlotFreedOnDisconnect()
    {
        var open = new List<SseClient>();
        try
        {
            // The other tests of this class run one at a time: the 3 slots free up unless a stream leaked.
            for (var i = 0; i < 3; i++)
            {
                var s = await SseClient.OpenAsync(fixture.Client);
                open.Add(s);
                Assert.Equal(HttpStatusCode.OK, s.Response.StatusCode);
                await s.WaitForAsync(e => (string?)e["type"] == "Registry", Patience, "a first batch");
            }
            using (var refused = await SseClient.OpenAsync(fixture.Client, waitForFreeSlot: false))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Response.StatusCode);
                Assert.Contains("MaxConcurrentConnections", await refused.ReadToEndAsync(), StringComparison.Ordinal);
            }
            open[0].Dispose();
            open.RemoveAt(0);
            // The server notices the disconnect at its next write at the latest.
            var deadline = DateTime.UtcNow.Add(Patience);
            HttpStatusCode status;
            do
            {
                await Task.Delay(100);
                using var again = await SseClient.OpenAsync(fixture.Client, waitForFreeSlot: false);
                status = again.Response.StatusCode;
            }
            while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
            Assert.Equal(HttpStatusCode.OK, status);
        }
        finally
        {
            open.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Stream_BadDelay_400()
    {
        using var r = await fixture.Client.GetAsync("/actuator/hystrix.stream?delay=5");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("\"status\":400", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_Page_ServedWithEventSourceOnTheStream()
    {
        using var r = await fixture.Client.GetAsync("/dashboard");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/html", r.Content.Headers.ContentType?.MediaType);
        var html = await r.Content.ReadAsStringAsync();
        Assert.Contains("new EventSource(\"/actuator/hystrix.stream\")", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chaos_KnownInstance_BodyForwardedToItsChaosSwitch()
    {
        using var content = new StringContent("""{"latencyMs":250,"errorRatio":0.5,"down":false}""", Encoding.UTF8, "application/json");
        using var r = await fixture.Client.PostAsync($"/dashboard/api/chaos/chaossvc/{Uri.EscapeDataString(fixture.ChaosInstanceId)}", content);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var sent = JsonNode.Parse(fixture.Chaos.LastChaosBody!)!.AsObject();
        Assert.Equal(250, (int)sent["latencyMs"]!);
        Assert.Equal(0.5, (double)sent["errorRatio"]!);
        Assert.False((bool)sent["down"]!);
        Assert.Equal(250, (int)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["latencyMs"]!);

        using var heal = new StringContent("{}", Encoding.UTF8, "application/json");
        using var healed = await fixture.Client.PostAsync($"/dashboard/api/chaos/CHAOSSVC/{Uri.EscapeDataString(fixture.ChaosInstanceId)}", heal);
        Assert.Equal(HttpStatusCode.OK, healed.StatusCode);
        Assert.Equal("{}", fixture.Chaos.LastChaosBody);
    }

    [Theory]
    [InlineData("chaossvc", "nope:chaossvc:1", """{"down":true}""", "application/json", HttpStatusCode.NotFound)]
    [InlineData("chaossvc", null, """{"url":"http://evil"}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("chaossvc", null, """{"latencyMs":"slow"}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("chaossvc", null, """[1]""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("chaossvc", null, """{"down":true}""", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task Chaos_BadRequests_ErrorInGatewayShapeAndNothingSent(string app, string? instanceId, string body, string mediaType, HttpStatusCode expected)
    {
        var before = fixture.Chaos.LastChaosBody;
        using var content = new StringContent(body, Encoding.UTF8, mediaType);
        using var r = await fixture.Client.PostAsync($"/dashboard/api/chaos/{app}/{Uri.EscapeDataString(instanceId ?? fixture.ChaosInstanceId)}", content);

        Assert.Equal(expected, r.StatusCode);
        var error = JsonNode.Parse(await r.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal((int)expected, (int)error["status"]!);
        Assert.NotNull(error["message"]);
        Assert.Equal(before, fixture.Chaos.LastChaosBody);
    }
}
