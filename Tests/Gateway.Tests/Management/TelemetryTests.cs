using System.Collections.Concurrent;
using System.Diagnostics;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Management;

[Collection(GatewayCollection.Name)]
public sealed class TelemetryTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Prometheus_AfterRequests_GatewayMetricsByRoute()
    {
        using (await fixture.Client.GetAsync("/echo/metrics")) { }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        do
        {
            text = await fixture.Client.GetStringAsync("/actuator/prometheus");
            if (text.Contains("gateway_requests_total{", StringComparison.Ordinal))
            {
                break;
            }
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Contains("gateway_requests_total{", text, StringComparison.Ordinal);
        Assert.Contains("route=\"echo\"", text, StringComparison.Ordinal);
        Assert.Contains("gateway_request_duration_seconds_bucket{", text, StringComparison.Ordinal);
        // The gateway's defaults (AddGatewayDefaults) turn off what repeats gateway.* or costs per buffer.
        Assert.Contains("http_server_request_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("http_client_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore_routing_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore_memory_pool_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tracing_ProxiedCall_ServerSpanTaggedWithRouteAndClientSpanBelowIt()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Microsoft.AspNetCore" or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var marker = Guid.NewGuid().ToString("N");
        using (var r = await fixture.Client.GetAsync($"/echo/{marker}"))
        {
            var echo = await EchoResponse.ReadAsync(r);
            // The backend sees a traceparent continuing the gateway's trace.
            Assert.NotNull(echo.Header("traceparent"));
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!spans.Any(a => (string?)a.GetTagItem("gateway.route.id") == "echo") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        var server = spans.First(a => (string?)a.GetTagItem("gateway.route.id") == "echo");
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal("GET echo", server.DisplayName);
        // The upstream call is a client span, child of the server span, in the same trace.
        var client = Assert.Single(spans, a => a.Kind == ActivityKind.Client && a.ParentSpanId == server.SpanId);
        Assert.Equal(server.TraceId, client.TraceId);
    }
}
