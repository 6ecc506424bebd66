using System.Net;
using System.Text.Json;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Security;

/// <summary>An operator's RewritePath pattern that backtracks catastrophically on a hostile path: one bounded 400, the gateway keeps serving.</summary>
public sealed class CatastrophicRewriteTests
{
    [Fact]
    public async Task RewritePath_PatternTimesOutOnPath_400InSpringShape_NextRequestsServed()
    {
        await using var backend = await TestBackend.StartAsync("a");
        // (a+)+b on a run of a's with no b: exponential backtracking, stopped by the pattern's 1 s timeout.
        var c = new RouteConfig().Route("rw", backend.Url, ["Path=/rw/**"], ["RewritePath=/rw/(?<x>(a+)+b), /$\\{x}"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        using var hostile = await client.GetAsync("/rw/" + new string('a', 40) + "c");
        var body = JsonDocument.Parse(await hostile.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, hostile.StatusCode);
        Assert.Contains("could not be rewritten", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, backend.Requests);
        using var fine = await client.GetAsync("/rw/aab");
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
        Assert.Equal("/aab", (await EchoResponse.ReadAsync(fine)).Path);
    }
}
