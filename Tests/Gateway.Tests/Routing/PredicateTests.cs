using System.Net;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Routing;

[Collection(GatewayCollection.Name)]
public sealed class PredicateTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private async Task<HttpStatusCode> StatusAsync(HttpRequestMessage request)
    {
        using var response = await _client.SendAsync(request);
        return response.StatusCode;
    }

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    [Fact]
    public async Task Path_DoubleStar_MatchesSubpathsAndBase()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Get("/api/catalog/items/1")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Get("/api/catalog")));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(Get("/api/catalogue")));
    }

    [Fact]
    public async Task Method_NotListed_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(Get("/method/x")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(new HttpRequestMessage(HttpMethod.Post, "/method/x") { Content = new StringContent("x") }));
    }

    [Fact]
    public async Task Host_Wildcards_MatchSubdomains()
    {
        var r1 = Get("/host/1");
        r1.Headers.Host = "www.example.org";
        using var a = await _client.SendAsync(r1);
        Assert.Equal("a", (await EchoResponse.ReadAsync(a)).Backend);
        var r2 = Get("/host/1");
        r2.Headers.Host = "api.example.com";
        using var b = await _client.SendAsync(r2);
        Assert.Equal("b", (await EchoResponse.ReadAsync(b)).Backend);
        var r3 = Get("/host/1");
        r3.Headers.Host = "example.net";
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(r3));
    }

    [Fact]
    public async Task Header_RegexMustMatchWholeValue()
    {
        var ok = Get("/header/x");
        ok.Headers.Add("X-Request-Id", "123");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(ok));
        var bad = Get("/header/x");
        bad.Headers.Add("X-Request-Id", "12a");
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(bad));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(Get("/header/x")));
    }

    [Fact]
    public async Task Query_RegexOrPresence_Matches()
    {
        using var green = await _client.GetAsync("/query/x?color=green");
        Assert.Equal("a", (await EchoResponse.ReadAsync(green)).Backend);
        using var size = await _client.GetAsync("/query/x?color=red&size=1");
        Assert.Equal("b", (await EchoResponse.ReadAsync(size)).Backend);
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(Get("/query/x?color=red")));
    }

    [Fact]
    public async Task Cookie_Regex_Matches()
    {
        var ok = Get("/cookie/x");
        ok.Headers.Add("Cookie", "flavor=chocolate; other=1");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(ok));
        var bad = Get("/cookie/x");
        bad.Headers.Add("Cookie", "flavor=vanilla");
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(bad));
    }

    [Fact]
    public async Task AfterBeforeBetween_ZonedDateTimes_ComparedWithNow()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Get("/after/x")));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(Get("/before/x")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Get("/between/x")));
    }

    [Fact]
    public async Task RemoteAddr_Cidr_MatchesLoopbackOnly()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Get("/remote/x")));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(Get("/remote-denied/x")));
    }

    [Fact]
    public async Task Weight_EightyTwenty_SplitsTraffic()
    {
        var a = 0;
        for (var i = 0; i < 200; i++)
        {
            using var r = await _client.GetAsync("/weight/x");
            if ((await EchoResponse.ReadAsync(r)).Backend == "a")
            {
                a++;
            }
        }
        Assert.InRange(a, 130, 190);
    }

    [Fact]
    public async Task Order_LowerFirst_WinsOverDeclarationOrder()
    {
        using var r = await _client.GetAsync("/ordered/x");
        Assert.Equal("a", (await EchoResponse.ReadAsync(r)).Backend);
    }
}
