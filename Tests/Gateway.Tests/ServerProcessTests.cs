using System.Text.Json;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests;

public sealed class ServerProcessTests
{
    [Fact]
    public async Task Start_RealProcess_ReportsHealthUp()
    {
        await using var server = await ServerProcess.StartAsync("Gateway");
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/actuator/health"));
        Assert.Equal("UP", doc.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Start_RealProcessWithLbRoute_ProxiesToBackend()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var server = await ServerProcess.StartAsync("Gateway", args:
        [
            $"--Spring:Cloud:Discovery:Client:Simple:Instances:catalog:0:Uri={backend.Url}",
            "--Gateway:Routes:0:Id=catalog", "--Gateway:Routes:0:Uri=lb://catalog",
            "--Gateway:Routes:0:Predicates:0=Path=/api/catalog/**", "--Gateway:Routes:0:Filters:0=StripPrefix=2",
        ]);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        using var r = await http.GetAsync("/api/catalog/items");
        var echo = await EchoResponse.ReadAsync(r);
        Assert.Equal("/items", echo.Path);
        Assert.Equal("a", echo.Backend);
    }

    [Fact]
    public async Task AccessLog_ProxiedRequest_OneLineWithRouteInstanceAndTraceId()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var server = await ServerProcess.StartAsync("Gateway", args:
        [
            "--Logging:Json=true",
            $"--Spring:Cloud:Discovery:Client:Simple:Instances:catalog:0:Uri={backend.Url}",
            "--Gateway:Routes:0:Id=catalog", "--Gateway:Routes:0:Uri=lb://catalog",
            "--Gateway:Routes:0:Predicates:0=Path=/api/catalog/**", "--Gateway:Routes:0:Filters:0=StripPrefix=2",
        ]);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var marker = Guid.NewGuid().ToString("N");
        using (var r = await http.GetAsync($"/api/catalog/{marker}"))
        {
            r.EnsureSuccessStatusCode();
        }
        JsonElement? line = null;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (line is null && DateTime.UtcNow < deadline)
        {
            foreach (var text in server.Output.Split('\n'))
            {
                if (text.TrimStart().StartsWith('{') && text.Contains(marker, StringComparison.Ordinal) && text.Contains("\"RouteId\"", StringComparison.Ordinal))
                {
                    line = JsonDocument.Parse(text).RootElement.Clone();
                }
            }
            if (line is null)
            {
                await Task.Delay(200);
            }
        }
        Assert.NotNull(line);
        var e = line.Value;
        Assert.Equal("catalog", e.GetProperty("RouteId").GetString());
        Assert.Equal($"127.0.0.1:catalog:{new Uri(backend.Url).Port}", e.GetProperty("UpstreamInstance").GetString());
        Assert.Equal(200, e.GetProperty("StatusCode").GetInt32());
        Assert.Matches("^[0-9a-f]{32}$", e.GetProperty("@tr").GetString() ?? "");
    }

    [Fact]
    public async Task TracingDisabled_ProxiedCall_PassesTheCallersTraceHeadersThroughAndStartsNoTrace()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var server = await ServerProcess.StartAsync("Gateway", args:
        [
            "--Tracing:Enabled=false", "--Logging:Json=true",
            "--Gateway:Routes:0:Id=echo", $"--Gateway:Routes:0:Uri={backend.Url}", "--Gateway:Routes:0:Predicates:0=Path=/echo/**",
        ]);
        using var http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo/trace");
        request.Headers.TryAddWithoutValidation("traceparent", TraceParent);
        request.Headers.TryAddWithoutValidation("X-B3-TraceId", "4bf92f3577b34da6a3ce929d0e0e4736");
        request.Headers.TryAddWithoutValidation("X-B3-SpanId", "00f067aa0ba902b7");
        using (var r = await http.SendAsync(request))
        {
            var echo = await EchoResponse.ReadAsync(r);
            // Spring's management.tracing.enabled=false: the gateway is no hop in the trace. The caller's headers arrive
            // exactly as sent (same parent id), and nothing was added.
            Assert.Equal(TraceParent, echo.Header("traceparent"));
            Assert.Equal("00f067aa0ba902b7", echo.Header("X-B3-SpanId"));
            Assert.Null(echo.Header("b3"));
            Assert.Null(echo.Header("X-B3-Sampled"));
        }
        using (var r = await http.GetAsync("/echo/untraced"))
        {
            var echo = await EchoResponse.ReadAsync(r);
            // No caller context: no trace is started for the upstream call either.
            Assert.Null(echo.Header("traceparent"));
            Assert.Null(echo.Header("X-B3-TraceId"));
        }
        // The access log still has one line per request, without a trace id, with the request's id and path.
        JsonElement? line = null;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (line is null && DateTime.UtcNow < deadline)
        {
            foreach (var text in server.Output.Split('\n'))
            {
                if (text.TrimStart().StartsWith('{') && text.Contains("\"/echo/untraced\"", StringComparison.Ordinal) && text.Contains("\"StatusCode\"", StringComparison.Ordinal))
                {
                    line = JsonDocument.Parse(text).RootElement.Clone();
                }
            }
            if (line is null)
            {
                await Task.Delay(200);
            }
        }
        Assert.NotNull(line);
        Assert.False(line.Value.TryGetProperty("@tr", out _));
        Assert.Equal("/echo/untraced", line.Value.GetProperty("RequestPath").GetString());
        Assert.False(string.IsNullOrEmpty(line.Value.GetProperty("RequestId").GetString()));
        Assert.Equal("echo", line.Value.GetProperty("RouteId").GetString());
    }
}
