using System.Net;
using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Security;

/// <summary>
/// Header filters whose value comes from a path variable (Spring's <c>AddRequestHeader=X-Seg, seg-{segment}</c>): the
/// variable is client input and must not be able to write a header line of its own, upstream or back to the client.
/// </summary>
public sealed class HeaderInjectionTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("a");
        var c = new RouteConfig().Route("seg", _backend.Url, ["Path=/seg/{segment}"],
        [
            "AddRequestHeader=X-Seg-Add, add-{segment}", "SetRequestHeader=X-Seg-Set, set-{segment}",
            "AddResponseHeader=X-Seg-Resp, resp-{segment}", "SetResponseHeader=X-Backend-Header, set-{segment}",
            "AddRequestParameter=seg, {segment}",
        ]);
        _host = new GatewayHost(c.Settings);
        _host.StartServer();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task PathVariable_ExpandedInHeaderFiltersAndParameter()
    {
        using var client = _host.NewClient();
        using var r = await client.GetAsync("/seg/blue");
        var echo = await EchoResponse.ReadAsync(r);

        Assert.Equal("add-blue", echo.Header("X-Seg-Add"));
        Assert.Equal("set-blue", echo.Header("X-Seg-Set"));
        Assert.Equal("?seg=blue", echo.Query);
        Assert.Equal("resp-blue", r.Headers.GetValues("X-Seg-Resp").Single());
        Assert.Equal("set-blue", r.Headers.GetValues("X-Backend-Header").Single());
    }

    [Theory]
    [InlineData("/seg/a%0D%0AX-Injected:%20yes")]
    [InlineData("/seg/a%0AX-Injected:%20yes")]
    [InlineData("/seg/a%0DX-Injected:%20yes")]
    [InlineData("/seg/a%0D%0A%0D%0AHTTP/1.1%20200%20OK")]
    [InlineData("/seg/a%00X-Injected")]
    public async Task EncodedLineBreakInPath_RefusedBeforeAnyHeaderIsWritten(string target)
    {
        var exchange = await RawHttp.SendAsync(_host.Port, $"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal([400], exchange.Statuses);
        Assert.DoesNotContain("\nX-Injected", exchange.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("X-Seg-Resp", exchange.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, _backend.Requests);
    }

    [Theory]
    [InlineData("/seg/caf%C3%A9", "caf%C3%A9")]
    [InlineData("/seg/a%E2%80%A8b", "a%E2%80%A8b")]
    [InlineData("/seg/%F0%9F%98%80", "%F0%9F%98%80")]
    public async Task NonAsciiPathVariable_PercentEncodedInHeaders_NotA5xx(string target, string encoded)
    {
        // Kestrel and HttpClient refuse non-ASCII header values by throwing mid-request: unencoded, this would be a 500 or 502.
        var exchange = await RawHttp.SendAsync(_host.Port, $"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal([200], exchange.Statuses);
        Assert.Contains($"X-Seg-Resp: resp-{encoded}\r\n", exchange.Text, StringComparison.Ordinal);
        Assert.Contains($"\"X-Seg-Add\":\"add-{encoded}\"", exchange.Text, StringComparison.Ordinal);
    }

    // Defence in depth: the firewall keeps control characters out of the path today; the expansion does not rely on it.
    [Theory]
    [InlineData("a\r\nX-Injected: yes", "x-a%0D%0AX-Injected: yes")]
    [InlineData("a\nb", "x-a%0Ab")]
    [InlineData("a\0b\u007f", "x-a%00b%7F")]
    [InlineData("tab\there", "x-tab%09here")]
    [InlineData("plain-ascii ~!", "x-plain-ascii ~!")]
    public void ExpandForHeader_ControlCharactersInVariable_PercentEncoded(string value, string expected)
    {
        var expanded = UriVariableTemplate.ExpandForHeader("x-{v}", new Dictionary<string, string> { ["v"] = value });

        Assert.Equal(expected, expanded);
        Assert.DoesNotContain(expanded, c => c is '\r' or '\n' or '\0');
    }

    [Fact]
    public void ExpandForHeader_UnknownVariable_LeftAsWritten() =>
        Assert.Equal("x-{other}", UriVariableTemplate.ExpandForHeader("x-{other}", new Dictionary<string, string> { ["v"] = "1" }));
}
