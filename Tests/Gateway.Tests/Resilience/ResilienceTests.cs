using System.Net;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Resilience;

[Collection(GatewayCollection.Name)]
public sealed class ResilienceTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Retry_Two503sThenOk_ClientSeesOk()
    {
        var key = Guid.NewGuid().ToString("N");
        using var r = await _client.GetAsync($"/flaky/{key}/2");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(3, fixture.A.Counters[key]);
    }

    [Fact]
    public async Task Retry_MoreFailuresThanRetries_LastStatusReturned()
    {
        var key = Guid.NewGuid().ToString("N");
        using var r = await _client.GetAsync($"/flaky/{key}/10");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.Equal(4, fixture.A.Counters[key]);
    }

    [Fact]
    public async Task Retry_PostNotInMethods_NotRetried()
    {
        var key = Guid.NewGuid().ToString("N");
        using var r = await _client.PostAsync($"/flaky/{key}/1", new StringContent("x"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.Equal(1, fixture.A.Counters[key]);
    }

    [Fact]
    public async Task CircuitBreaker_FailuresOverThreshold_OpensAnd503()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var r = await _client.GetAsync("/cb/x");
            statuses.Add(r.StatusCode);
        }
        Assert.Equal(HttpStatusCode.BadGateway, statuses[0]);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, statuses[^1]);
        using var open = await _client.GetAsync("/cb/x");
        Assert.Contains("is open", await open.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CircuitBreaker_FallbackUri_ForwardsWithExceptionHeaders()
    {
        using var r = await _client.GetAsync("/cbf/x");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var echo = await EchoResponse.ReadAsync(r);
        Assert.Equal("/fallback/cbf", echo.Path);
        Assert.Equal(typeof(HttpRequestException).FullName, echo.Header("Execution-Exception-Type"));
    }
}

[Collection(GatewayCollection.Name)]
public sealed class BulkheadTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Bulkhead_SecondConcurrentRequest_503()
    {
        var before = fixture.A.Requests;
        var first = fixture.Client.GetAsync("/bulkhead/x");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (fixture.A.Requests == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        using var second = await fixture.Client.GetAsync("/bulkhead/x");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Contains("max-concurrent-requests", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var r = await first;
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }
}

public sealed class CircuitRecoveryTests
{
    [Fact]
    public async Task CircuitBreaker_AfterSleepWindow_HalfOpenProbeClosesIt()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var key = Guid.NewGuid().ToString("N");
        // Full form (Name + Args), as Spring's YAML allows: 503 answers count as failures.
        var c = new RouteConfig()
            .Set("Gateway:CircuitBreakers:cb3:RequestVolumeThreshold", "2")
            .Set("Gateway:CircuitBreakers:cb3:SleepWindowInMilliseconds", "1000")
            .Set("Gateway:CircuitBreakers:cb3:TimeoutInMilliseconds", "0")
            .Set("Gateway:Routes:0:Id", "recover")
            .Set("Gateway:Routes:0:Uri", backend.Url)
            .Set("Gateway:Routes:0:Predicates:0", "Path=/flaky/**")
            .Set("Gateway:Routes:0:Filters:0:Name", "CircuitBreaker")
            .Set("Gateway:Routes:0:Filters:0:Args:name", "cb3")
            .Set("Gateway:Routes:0:Filters:0:Args:statusCodes", "503,SERVICE_UNAVAILABLE");
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();
        var path = $"/flaky/{key}/2";

        using (var r1 = await client.GetAsync(path)) { Assert.Equal(HttpStatusCode.ServiceUnavailable, r1.StatusCode); }
        using (var r2 = await client.GetAsync(path)) { Assert.Equal(HttpStatusCode.ServiceUnavailable, r2.StatusCode); }
        using (var open = await client.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, open.StatusCode);
            Assert.Contains("is open", await open.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(2, backend.Counters[key]);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        HttpStatusCode status;
        do
        {
            await Task.Delay(300);
            using var probe = await client.GetAsync(path);
            status = probe.StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
        using var closed = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
    }
}

public sealed class InstanceCircuitTests
{
    [Fact]
    public async Task InstanceCircuitBreaker_SickInstance_EjectedWhileHealthyOneServes()
    {
        await using var sick = await TestBackend.StartAsync("sick");
        await using var healthy = await TestBackend.StartAsync("healthy");
        sick.FailWith = 503;
        var c = new RouteConfig()
            .Instances("svc", sick.Url, healthy.Url)
            .Set("Gateway:CircuitBreakers:per-instance:RequestVolumeThreshold", "2")
            .Set("Gateway:CircuitBreakers:per-instance:SleepWindowInMilliseconds", "60000")
            .Route("svc", "lb://svc", ["Path=/svc/**"], ["StripPrefix=1"], metadata: new() { ["instance-circuit-breaker"] = "per-instance" });
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var r = await client.GetAsync("/svc/x");
            statuses.Add(r.StatusCode);
        }
        // Round robin sends the sick instance every other request until its circuit opens after 2 failures.
        Assert.Equal(2, sick.Requests);
        Assert.All(statuses.Skip(4), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(8, healthy.Requests);
    }
}
