using System.Net;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Routing;

[Collection(GatewayCollection.Name)]
public sealed class FilterTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private async Task<EchoResponse> EchoAsync(string path)
    {
        using var r = await _client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await EchoResponse.ReadAsync(r);
    }

    [Fact]
    public async Task StripPrefix_One_RemovesFirstSegmentKeepsQuery()
    {
        var echo = await EchoAsync("/api/catalog/items?x=1");
        Assert.Equal("/catalog/items", echo.Path);
        Assert.Equal("?x=1", echo.Query);
        Assert.Equal("/api", echo.Header("X-Forwarded-Prefix"));
    }

    [Fact]
    public async Task RewritePath_NamedGroupWithSpringEscape_Rewrites()
    {
        Assert.Equal("/a/b", (await EchoAsync("/rw/a/b")).Path);
    }

    [Fact]
    public async Task PrefixPath_AddsPrefix()
    {
        Assert.Equal("/v1/pp/x", (await EchoAsync("/pp/x")).Path);
    }

    [Fact]
    public async Task SetPath_Template_UsesPathVariable()
    {
        Assert.Equal("/seg/blue", (await EchoAsync("/sp/blue")).Path);
    }

    [Fact]
    public async Task HeaderFilters_RequestAndResponse_Applied()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/hdr/x?a=b");
        request.Headers.Add("X-Set", "original");
        request.Headers.Add("X-Remove", "gone");
        using var response = await _client.SendAsync(request);
        var echo = await EchoResponse.ReadAsync(response);
        Assert.Equal("1", echo.Header("X-Lab"));
        Assert.Equal("replaced", echo.Header("X-Set"));
        Assert.Null(echo.Header("X-Remove"));
        Assert.Equal("?a=b&lab=1", echo.Query);
        Assert.Equal("r", response.Headers.GetValues("X-Resp").Single());
        Assert.Equal("overwritten", response.Headers.GetValues("X-Backend-Header").Single());
        Assert.False(response.Headers.Contains("X-Backend-Secret"));
    }

    [Fact]
    public async Task DefaultFilters_EveryRoute_GetsThem()
    {
        using var r = await _client.GetAsync("/echo/x");
        Assert.Equal("yes", r.Headers.GetValues("X-Default").Single());
    }

    [Fact]
    public async Task SetStatus_SpringEnumName_OverridesUpstreamStatus()
    {
        using var r = await _client.GetAsync("/setstatus/x");
        Assert.Equal(418, (int)r.StatusCode);
    }

    [Fact]
    public async Task RedirectTo_302_WithLocationAndNoUpstreamCall()
    {
        var before = fixture.A.Requests;
        using var r = await _client.GetAsync("/redirect/x");
        Assert.Equal(HttpStatusCode.Found, r.StatusCode);
        Assert.Equal(new Uri("https://acme.org"), r.Headers.Location);
        Assert.Equal(before, fixture.A.Requests);
    }

    [Fact]
    public async Task PreserveHostHeader_ClientHost_SentUpstream()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/preserve/x");
        request.Headers.Host = "shop.example.org";
        using var r = await _client.SendAsync(request);
        Assert.Equal("shop.example.org", (await EchoResponse.ReadAsync(r)).Header("Host"));
        var plain = await EchoAsync("/echo/x");
        Assert.Equal($"127.0.0.1:{fixture.A.Port}", plain.Header("Host"));
    }

    [Fact]
    public async Task RequestSize_OverLimit_413WithErrorMessage()
    {
        using var r = await _client.PostAsync("/size/x", new ByteArrayContent(new byte[11]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.StartsWith("Request size is larger than permissible limit.", r.Headers.GetValues("errorMessage").Single(), StringComparison.Ordinal);
        using var ok = await _client.PostAsync("/size/x", new ByteArrayContent(new byte[10]));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task RequestRateLimiter_BurstExceeded_429WithRateLimitHeaders()
    {
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 6; i++)
        {
            var r = await _client.GetAsync("/limited/x");
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited ??= r;
            }
            else
            {
                Assert.Equal("1", r.Headers.GetValues("X-RateLimit-Replenish-Rate").Single());
                r.Dispose();
            }
        }
        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        Assert.NotNull(limited);
        using (limited)
        {
            Assert.Equal("0", limited.Headers.GetValues("X-RateLimit-Remaining").Single());
            Assert.Equal("2", limited.Headers.GetValues("X-RateLimit-Burst-Capacity").Single());
            Assert.Equal("1", limited.Headers.GetValues("X-RateLimit-Requested-Tokens").Single());
            Assert.Contains("\"status\":429", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
