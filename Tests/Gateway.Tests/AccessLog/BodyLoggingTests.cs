using System.Net;
using System.Text;
using System.Text.Json;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests.AccessLog;

/// <summary>A real Gateway process writing JSON (CLEF) log lines to stdout, in front of one backend.</summary>
public sealed class BodyLoggingFixture : IAsyncLifetime
{
    internal TestBackend Backend { get; private set; } = null!;
    internal ServerProcess Gateway { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Backend = await TestBackend.StartAsync("logs");
        Gateway = await ServerProcess.StartAsync("Gateway", args:
        [
            "--Logging:Json=true",
            "--Gateway:Routes:0:Id=logged", $"--Gateway:Routes:0:Uri={Backend.Url}", "--Gateway:Routes:0:Predicates:0=Path=/logged/**",
            "--Gateway:Routes:0:Metadata:log-bodies=true", "--Gateway:Routes:0:Metadata:log-bodies-max-bytes=32",
            // Spring-less spelling of the same switch, default cap (4096 bytes).
            "--Gateway:Routes:1:Id=logged-stream", $"--Gateway:Routes:1:Uri={Backend.Url}", "--Gateway:Routes:1:Predicates:0=Path=/stream",
            "--Gateway:Routes:1:Metadata:LogBodies=true",
            "--Gateway:Routes:3:Id=ws-logged", $"--Gateway:Routes:3:Uri={Backend.Url}", "--Gateway:Routes:3:Predicates:0=Path=/ws",
            "--Gateway:Routes:3:Metadata:log-bodies=true",
            "--Gateway:Routes:2:Id=unlogged", $"--Gateway:Routes:2:Uri={Backend.Url}", "--Gateway:Routes:2:Predicates:0=Path=/plain/**",
        ]);
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = Gateway.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The access-log line (Serilog's request-completed event) of the request to <paramref name="path"/>.</summary>
    public async Task<JsonElement> AccessLogLineAsync(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            foreach (var line in Gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!line.StartsWith('{') || !line.Contains(path, StringComparison.Ordinal))
                {
                    continue;
                }
                var e = JsonDocument.Parse(line).RootElement;
                if (e.TryGetProperty("RequestPath", out var p) && p.GetString() == path && e.TryGetProperty("StatusCode", out _))
                {
                    return e;
                }
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no access-log line for {path} in:\n{Gateway.Output}");
            }
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Gateway.DisposeAsync();
        await Backend.DisposeAsync();
    }
}

public sealed class BodyLoggingTests(BodyLoggingFixture fixture) : IClassFixture<BodyLoggingFixture>
{
    [Fact]
    public async Task LogBodies_TextBodiesOverCap_CapturedAndTruncatedAtCap()
    {
        var path = $"/logged/{Guid.NewGuid():N}";
        var sent = "{\"order\":\"" + new string('é', 40) + "\",\"qty\":3}";
        using var r = await fixture.Client.PostAsync(path, new StringContent(sent, Encoding.UTF8, "application/json"));
        var received = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var line = await fixture.AccessLogLineAsync(path);
        Assert.Equal("logged", line.GetProperty("RouteId").GetString());
        // 32 bytes: '{"order":"' (10) + 11 two-byte 'é' (22).
        Assert.Equal(sent[..21], line.GetProperty("RequestBody").GetString());
        Assert.True(line.GetProperty("RequestBodyTruncated").GetBoolean());
        Assert.Equal(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(received), 0, 32), line.GetProperty("ResponseBody").GetString());
        Assert.True(line.GetProperty("ResponseBodyTruncated").GetBoolean());
    }

    [Fact]
    public async Task LogBodies_TextBodyUnderCap_CapturedWhole()
    {
        var path = $"/logged/{Guid.NewGuid():N}";
        using var r = await fixture.Client.PostAsync(path, new StringContent("qty=3&sku=A1", Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var line = await fixture.AccessLogLineAsync(path);
        Assert.Equal("qty=3&sku=A1", line.GetProperty("RequestBody").GetString());
        Assert.False(line.GetProperty("RequestBodyTruncated").GetBoolean());
    }

    [Fact]
    public async Task LogBodies_BinaryRequestBody_NotCaptured()
    {
        var path = $"/logged/{Guid.NewGuid():N}";
        using var content = new ByteArrayContent([0x00, 0xff, 0x10, 0x80]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        using var r = await fixture.Client.PostAsync(path, content);
        Assert.Equal(4, (await EchoResponse.ReadAsync(r)).BodyLength);
        var line = await fixture.AccessLogLineAsync(path);
        Assert.False(line.TryGetProperty("RequestBody", out _));
        // The JSON answer is text, so it is still captured.
        Assert.StartsWith("{", line.GetProperty("ResponseBody").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogBodies_LargeRequestBody_StreamsToBackendBeforeClientFinishes()
    {
        var path = $"/logged/{Guid.NewGuid():N}";
        // The client sends 64 KB, then waits until the backend has bytes of it before sending the rest: a gateway that
        // buffered the whole body first would never let that happen.
        var content = new GatedContent(async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!fixture.Backend.Counters.ContainsKey("received:" + path))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("the backend saw nothing of the body's first part");
                }
                await Task.Delay(20);
            }
        });
        using var r = await fixture.Client.PostAsync(path, content);
        Assert.Equal(GatedContent.TotalBytes, (await EchoResponse.ReadAsync(r)).BodyLength);
        var line = await fixture.AccessLogLineAsync(path);
        Assert.Equal(new string('a', 32), line.GetProperty("RequestBody").GetString());
        Assert.True(line.GetProperty("RequestBodyTruncated").GetBoolean());
    }

    [Fact]
    public async Task LogBodies_StreamedResponse_StillStreamsAndIsLogged()
    {
        using var response = await fixture.Client.GetAsync("/stream", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body);
        // The backend holds the rest until the gate opens: the first line can only arrive if the tee does not buffer.
        Assert.Equal("first", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        fixture.Backend.StreamGate.TrySetResult();
        Assert.Equal("second", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Null(await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        var line = await fixture.AccessLogLineAsync("/stream");
        Assert.Equal("logged-stream", line.GetProperty("RouteId").GetString());
        Assert.Equal("first\nsecond\n", line.GetProperty("ResponseBody").GetString());
        Assert.False(line.GetProperty("ResponseBodyTruncated").GetBoolean());
    }

    [Fact]
    public async Task LogBodies_WebSocketRoute_StillTunnels()
    {
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{fixture.Gateway.BaseUri.Port}/ws"), cts.Token);
        await socket.SendAsync("ping"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[256];
        var result = await socket.ReceiveAsync(buffer, cts.Token);
        Assert.Equal("logs:ping", Encoding.UTF8.GetString(buffer, 0, result.Count));
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", cts.Token);
    }

    [Fact]
    public async Task NoLogBodies_Route_LogsNoBody()
    {
        var path = $"/plain/{Guid.NewGuid():N}";
        using var r = await fixture.Client.PostAsync(path, new StringContent("secret=hunter2", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var line = await fixture.AccessLogLineAsync(path);
        Assert.Equal("unlogged", line.GetProperty("RouteId").GetString());
        Assert.False(line.TryGetProperty("RequestBody", out _));
        Assert.False(line.TryGetProperty("ResponseBody", out _));
        Assert.DoesNotContain("hunter2", fixture.Gateway.Output, StringComparison.Ordinal);
    }

    /// <summary>A chunked text body: 64 KB of 'a', then (after a gate) 1 MB of 'b'.</summary>
    private sealed class GatedContent : HttpContent
    {
        public const int FirstPart = 64 * 1024;
        public const int TotalBytes = FirstPart + 1024 * 1024;
        private readonly Func<Task> _gate;

        public GatedContent(Func<Task> gate)
        {
            _gate = gate;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(new string('a', FirstPart)));
            await stream.FlushAsync();
            await _gate();
            var chunk = Encoding.ASCII.GetBytes(new string('b', 64 * 1024));
            for (var sent = 0; sent < TotalBytes - FirstPart; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
