using System.Net.Sockets;
using System.Text;
using Infrastructure.Gateway.Security;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Security;

public sealed class PathFirewallTests
{
    [Theory]
    [InlineData("/scoped/..\\internal")]
    [InlineData("/scoped/a\\b")]
    [InlineData("/scoped/..%2Finternal")]
    [InlineData("/scoped/x%2f..%2finternal")]
    [InlineData("/scoped/%2e%2e/internal")]
    [InlineData("/scoped/.%2E/internal")]
    [InlineData("/scoped/%2e")]
    [InlineData("/scoped/..")]
    [InlineData("/scoped/./x")]
    [InlineData("/scoped/a\u0000b")]
    [InlineData("/scoped/a\tb")]
    [InlineData("/scoped/a\u000Bb")]
    [InlineData("/scoped/a\u007Fb")]
    public void Check_RefusesWhatCouldBeReadAsAnotherPath(string decodedPath) =>
        Assert.NotNull(RequestPathFirewall.Check(decodedPath));

    [Theory]
    [InlineData("/")]
    [InlineData("/scoped/items/42")]
    [InlineData("/scoped/file.tar.gz")]
    [InlineData("/scoped/.well-known/x")]
    [InlineData("/scoped/...")]
    [InlineData("/scoped/a%2Fb")]
    [InlineData("/scoped/100%25")]
    [InlineData("/scoped/caf\u00e9")]
    public void Check_PassesOrdinaryPaths(string decodedPath) =>
        Assert.Null(RequestPathFirewall.Check(decodedPath));

    [Theory]
    [InlineData("/scoped/..%5Cinternal")]
    [InlineData("/scoped/..%5cinternal")]
    [InlineData("/scoped/..\\internal")]
    [InlineData("/scoped/%2e%2e%5cinternal")]
    [InlineData("/scoped/%2e%2e%5Cinternal")]
    [InlineData("/scoped/..%2Finternal")]
    [InlineData("/scoped/%252e%252e/internal")]
    [InlineData("/scoped/x%09y")]
    public async Task Gateway_TraversalShapes_400AndNothingReachesTheBackend(string rawTarget)
    {
        await using var backend = await TestBackend.StartAsync("a");
        var c = new RouteConfig().Route("scoped", backend.Url, ["Path=/scoped/**"]);
        await using var host = new GatewayHost(c.Settings);
        host.StartServer();

        var (status, body) = await RawGetAsync(host.Port, rawTarget);

        Assert.Equal(400, status);
        Assert.Contains("\"status\":400", body, StringComparison.Ordinal);
        Assert.Equal(0, backend.Requests);
    }

    [Fact]
    public async Task Gateway_EncodedQuestionMarkAndHash_StayInThePath()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var c = new RouteConfig().Route("scoped", backend.Url, ["Path=/scoped/**"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        using var r = await client.GetAsync("/scoped/a%3Fb%23c?x=1");
        var echo = await EchoResponse.ReadAsync(r);

        Assert.Equal("/scoped/a?b#c", echo.Path);
        Assert.Equal("?x=1", echo.Query);
    }

    // HttpClient would normalise these targets itself, so they go over a raw socket exactly as an attacker sends them.
    private static async Task<(int Status, string Body)> RawGetAsync(int port, string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        var request = $"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cts.Token);
        var statusLine = text[..text.IndexOf('\r', StringComparison.Ordinal)];
        return (int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), text);
    }
}
