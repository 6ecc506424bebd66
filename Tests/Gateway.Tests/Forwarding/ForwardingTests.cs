using System.Net;
using System.Text.Json;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Forwarding;

[Collection(GatewayCollection.Name)]
public sealed class ForwardingTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Forward_Headers_XForwardedAndForwardedAndViaAdded()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo/x");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        using var r = await _client.SendAsync(request);
        var echo = await EchoResponse.ReadAsync(r);
        Assert.Equal("203.0.113.7,127.0.0.1", echo.Header("X-Forwarded-For"));
        Assert.Equal("http", echo.Header("X-Forwarded-Proto"));
        Assert.Equal($"127.0.0.1:{fixture.Host.Port}", echo.Header("X-Forwarded-Host"));
        Assert.Equal($"for=127.0.0.1;proto=http;host=\"127.0.0.1:{fixture.Host.Port}\"", echo.Header("Forwarded"));
        Assert.Equal("1.1 gateway", echo.Header("Via"));
    }

    [Fact]
    public async Task Forward_HopByHopHeaders_NotForwarded()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo/x");
        request.Headers.Connection.Add("X-Hop");
        request.Headers.Add("X-Hop", "1");
        request.Headers.Add("Proxy-Authorization", "Basic eDp5");
        request.Headers.Add("X-Kept", "1");
        using var r = await _client.SendAsync(request);
        var echo = await EchoResponse.ReadAsync(r);
        Assert.Null(echo.Header("X-Hop"));
        Assert.Null(echo.Header("Proxy-Authorization"));
        Assert.Equal("1", echo.Header("X-Kept"));
    }

    [Fact]
    public async Task Forward_LargeRequestBody_StreamedThrough()
    {
        using var content = new ByteArrayContent(new byte[3 * 1024 * 1024]);
        using var r = await _client.PostAsync("/echo/upload", content);
        var echo = await EchoResponse.ReadAsync(r);
        Assert.Equal(3 * 1024 * 1024, echo.BodyLength);
        Assert.Equal("POST", echo.Method);
    }

    [Fact]
    public async Task Forward_ResponseBody_StreamedBeforeUpstreamFinishes()
    {
        using var response = await _client.GetAsync("/stream", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body);
        // The backend holds the rest of the body until the gate opens: the first line can only arrive if nothing buffers it.
        var first = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("first", first);
        fixture.A.StreamGate.TrySetResult();
        Assert.Equal("second", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Forward_Head_NoBody()
    {
        using var r = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/echo/x"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Empty(await r.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task NoRoute_404JsonWithTraceId()
    {
        using var r = await _client.GetAsync("/nowhere");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal(404, doc.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("Not Found", doc.RootElement.GetProperty("error").GetString());
        Assert.Equal("/nowhere", doc.RootElement.GetProperty("path").GetString());
        Assert.Equal(32, doc.RootElement.GetProperty("traceId").GetString()!.Length);
    }

    [Fact]
    public async Task ConnectionRefused_502Json()
    {
        using var r = await _client.GetAsync("/dead/x");
        Assert.Equal(HttpStatusCode.BadGateway, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal(502, doc.RootElement.GetProperty("status").GetInt32());
        Assert.NotEmpty(doc.RootElement.GetProperty("traceId").GetString()!);
    }

    [Fact]
    public async Task Timeout_ResponseTimeoutMetadata_504()
    {
        using var r = await _client.GetAsync("/delay/5000");
        Assert.Equal(HttpStatusCode.GatewayTimeout, r.StatusCode);
        Assert.Contains("\"status\":504", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadBalanced_TwoInstances_RoundRobin()
    {
        var backends = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            using var r = await _client.GetAsync("/lb/who");
            var echo = await EchoResponse.ReadAsync(r);
            Assert.Equal("/who", echo.Path);
            backends.Add(echo.Backend);
        }
        Assert.Equal(2, backends.Count(b => b == "a"));
        Assert.Equal(2, backends.Count(b => b == "b"));
    }

    [Fact]
    public async Task LoadBalanced_OneInstanceDown_RetriedOnNextInstance()
    {
        for (var i = 0; i < 6; i++)
        {
            using var r = await _client.GetAsync("/lbflaky/x");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        using var post = await _client.PostAsync("/lbflaky/x", new StringContent("x"));
        Assert.True(post.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadGateway);
    }

    [Fact]
    public async Task LoadBalanced_NoInstance_503()
    {
        using var r = await _client.GetAsync("/nosvc/x");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.Contains("no UP instance", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var gone = await _client.GetAsync("/allgone/x");
        Assert.Equal(HttpStatusCode.BadGateway, gone.StatusCode);
    }
}

[Collection(GatewayCollection.Name)]
public sealed class UpgradeTests(GatewayFixture fixture)
{
    [Fact]
    public async Task WebSocket_ThroughGateway_EchoesBothWays()
    {
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{fixture.Host.Port}/ws"), cts.Token);
        var buffer = new byte[1024];
        for (var i = 0; i < 2; i++)
        {
            await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes("hello" + i), System.Net.WebSockets.WebSocketMessageType.Text, true, cts.Token);
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            Assert.Equal("a:hello" + i, System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Closed, socket.State);
    }

    [Fact]
    public async Task RequestId_Absent_SetFromTraceIdentifier()
    {
        using var r = await fixture.Client.GetAsync("/echo/rid");
        Assert.False(string.IsNullOrEmpty((await EchoResponse.ReadAsync(r)).Header("X-Request-Id")));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo/rid");
        request.Headers.Add("X-Request-Id", "mine");
        using var r2 = await fixture.Client.SendAsync(request);
        Assert.Equal("mine", (await EchoResponse.ReadAsync(r2)).Header("X-Request-Id"));
    }
}

[Collection(GatewayCollection.Name)]
public sealed class ProtocolTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Http2Client_PriorKnowledge_Proxied()
    {
        // Cleartext HTTP/2 needs an HTTP/2-only endpoint (with TLS, ALPN offers both on one port).
        var c = new RouteConfig().Set("Kestrel:EndpointDefaults:Protocols", "Http2").Route("echo", fixture.A.Url, ["Path=/echo/**"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewHttp2Client();
        using var r = await client.GetAsync("/echo/h2");
        Assert.Equal(HttpVersion.Version20, r.Version);
        var echo = await EchoResponse.ReadAsync(r);
        Assert.Equal("/echo/h2", echo.Path);
        Assert.Equal("2 gateway", echo.Header("Via"));
    }

    [Fact]
    public async Task ExpectContinue_PostWithBody_Forwarded()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/echo/expect") { Content = new ByteArrayContent(new byte[100_000]) };
        request.Headers.ExpectContinue = true;
        using var r = await fixture.Client.SendAsync(request);
        Assert.Equal(100_000, (await EchoResponse.ReadAsync(r)).BodyLength);
    }
}
