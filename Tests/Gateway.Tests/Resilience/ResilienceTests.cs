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
