using System.Net;
using System.Text.Json;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Forwarding;

public sealed class TrailerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResponseTrailers_ChunkedHttp11Upstream_ReachHttp2Client(bool logBodies)
    {
        await using var backend = new ChunkedTrailerBackend();
        // With log-bodies the response body feature is replaced by the access-log tee: trailers must still get through.
        var c = new RouteConfig().Set("Kestrel:EndpointDefaults:Protocols", "Http2")
            .Route("trailers", backend.Url, ["Path=/trailers/**"], metadata: new() { ["log-bodies"] = logBodies ? "true" : "false" });
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewHttp2Client();
        using var r = await client.GetAsync("/trailers/x");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("hello world", await r.Content.ReadAsStringAsync());
        // Trailers are only known once the body has been read to its end.
        Assert.Equal("sha256=abc123", string.Join(",", r.TrailingHeaders.GetValues("X-Checksum")));
        Assert.Equal("2", string.Join(",", r.TrailingHeaders.GetValues("X-Row-Count")));
    }

    [Fact]
    public async Task ResponseTrailers_Http11Client_BodyIntactTrailersDropped()
    {
        await using var backend = new ChunkedTrailerBackend();
        var c = new RouteConfig().Route("trailers", backend.Url, ["Path=/trailers/**"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();
        using var r = await client.GetAsync("/trailers/x");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("hello world", await r.Content.ReadAsStringAsync());
        Assert.False(r.TrailingHeaders.Contains("X-Checksum"));
        // The upstream's Trailer header is hop-by-hop and announced fields that will not come.
        Assert.False(r.Headers.Contains("Trailer"));
    }
}

public sealed class ConnectTimeoutTests
{
    [Fact]
    public async Task ConnectTimeoutMetadata_UnreachableUpstream_504AfterRouteTimeoutNotDefault()
    {
        using var hole = await BlackholeListener.StartAsync();
        var c = new RouteConfig()
            .Set("Gateway:HttpClient:ConnectTimeout", "120000")
            .Route("blackholed", hole.Url, ["Path=/blackholed/**"], metadata: new() { ["connect-timeout"] = "500" });
        await using var host = new GatewayHost(c.Settings);
        // Far below the default (120 s): only the route's connect-timeout can end this request in time.
        using var client = host.NewClient();
        client.Timeout = TimeSpan.FromSeconds(60);
        using var r = await client.GetAsync("/blackholed/x");
        Assert.Equal(HttpStatusCode.GatewayTimeout, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal(504, doc.RootElement.GetProperty("status").GetInt32());
        Assert.Contains("timed out after 500 ms", doc.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
