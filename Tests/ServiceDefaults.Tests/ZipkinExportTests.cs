using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Infrastructure.ServiceDefaults.Tests;

public sealed class ZipkinExportTests
{
    [Fact]
    public async Task ZipkinEndpoint_RequestWithDownstreamCall_ExportsV2SpansLinkedServerClientServer()
    {
        await using var receiver = await ZipkinCollector.StartAsync();
        await using var downstream = await LoopbackApps.StartBareAsync(app => app.MapGet("/item", () => "ok"));
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?>
            {
                ["OTEL_SERVICE_NAME"] = "zipkin-front",
                ["Tracing:Zipkin:Endpoint"] = receiver.Endpoint.ToString(),
            },
            app => app.MapGet("/order", async (IHttpClientFactory f) => await f.CreateClient().GetStringAsync(new Uri(downstream.BaseUri(), "item"))));

        var traceId = Guid.NewGuid().ToString("N");
        const string callerSpanId = "1111222233334444";
        using var client = LoopbackApps.UninstrumentedClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service.BaseUri(), "order"));
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpanId}-01");
        (await client.SendAsync(request)).EnsureSuccessStatusCode();
        service.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000);

        var spans = await receiver.WaitForTraceAsync(traceId, 2);
        Assert.All(receiver.ContentTypes, ct => Assert.StartsWith("application/json", ct, StringComparison.Ordinal));
        var server = Assert.Single(spans, s => s.GetProperty("kind").GetString() == "SERVER" && s.GetProperty("parentId").GetString() == callerSpanId);
        var clientSpan = Assert.Single(spans, s => s.GetProperty("kind").GetString() == "CLIENT");

        foreach (var span in new[] { server, clientSpan })
        {
            Assert.Matches("^[0-9a-f]{32}$", span.GetProperty("traceId").GetString());
            Assert.Matches("^[0-9a-f]{16}$", span.GetProperty("id").GetString());
            Assert.Matches("^[0-9a-f]{16}$", span.GetProperty("parentId").GetString());
            Assert.Equal("zipkin-front", span.GetProperty("localEndpoint").GetProperty("serviceName").GetString());
            // Zipkin v2: epoch microseconds and a duration in microseconds, both integers.
            Assert.True(span.GetProperty("timestamp").GetInt64() > 1_600_000_000_000_000L);
            Assert.True(span.GetProperty("duration").GetInt64() >= 0);
            Assert.All(span.GetProperty("tags").EnumerateObject(), t => Assert.Equal(JsonValueKind.String, t.Value.ValueKind));
            Assert.Equal("GET", span.GetProperty("tags").GetProperty("http.request.method").GetString());
            Assert.Equal("200", span.GetProperty("tags").GetProperty("http.response.status_code").GetString());
        }
        Assert.Equal(server.GetProperty("id").GetString(), clientSpan.GetProperty("parentId").GetString());
        Assert.Equal("/order", server.GetProperty("tags").GetProperty("url.path").GetString());
        Assert.EndsWith("/item", clientSpan.GetProperty("tags").GetProperty("url.full").GetString(), StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", clientSpan.GetProperty("remoteEndpoint").GetProperty("serviceName").GetString());

        // The downstream Kestrel runs in this test process, so the same tracer records its server span too: it must be
        // the client span's child, which is the hop-to-hop link Zipkin draws.
        var downstreamSpans = await receiver.WaitForTraceAsync(traceId, 3);
        var downstreamServer = Assert.Single(downstreamSpans, s => s.GetProperty("kind").GetString() == "SERVER" && s.GetProperty("parentId").GetString() == clientSpan.GetProperty("id").GetString());
        Assert.Equal("/item", downstreamServer.GetProperty("tags").GetProperty("url.path").GetString());
    }
}
