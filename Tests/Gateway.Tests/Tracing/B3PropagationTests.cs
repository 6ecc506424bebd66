using System.Collections.Concurrent;
using System.Diagnostics;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Tracing;

[Collection(GatewayCollection.Name)]
public sealed class B3PropagationTests(GatewayFixture fixture)
{
    private const string CallerSpanId = "00f067aa0ba902b7";

    public static TheoryData<string> Formats() => ["b3-multi", "b3-single"];

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task IncomingB3_NoTraceparent_ServerSpanIsChildOfB3SpanAndDownstreamGetsBothFormats(string format)
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.TraceId.ToHexString() == traceId)
                {
                    spans.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        // The test's own client must not add a traceparent: the request carries B3 only, as from a Sleuth/Zipkin caller.
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null, UseProxy = false })
        {
            BaseAddress = fixture.Host.BaseUri,
            Timeout = TimeSpan.FromSeconds(30),
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo/b3");
        if (format == "b3-multi")
        {
            request.Headers.TryAddWithoutValidation("X-B3-TraceId", traceId);
            request.Headers.TryAddWithoutValidation("X-B3-SpanId", CallerSpanId);
            request.Headers.TryAddWithoutValidation("X-B3-Sampled", "1");
        }
        else
        {
            request.Headers.TryAddWithoutValidation("b3", $"{traceId}-{CallerSpanId}-1");
        }
        using var response = await client.SendAsync(request);
        var echo = await EchoResponse.ReadAsync(response);

        // Downstream: the same trace in W3C and B3 form, both naming the gateway's client span (not the caller's span).
        var clientSpanId = DownstreamTrace.AssertCarried(echo, traceId, CallerSpanId, sampled: true);

        // The gateway's server span (tagged with the route) is the B3 span's child; the client span hangs beneath it.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!spans.Any(a => a.Kind == ActivityKind.Server && (string?)a.GetTagItem("gateway.route.id") == "echo" && a.TraceId.ToHexString() == traceId)
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        var server = Assert.Single(spans, a => a.Kind == ActivityKind.Server && (string?)a.GetTagItem("gateway.route.id") == "echo" && a.TraceId.ToHexString() == traceId);
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal(clientSpanId, Assert.Single(spans, a => a.Kind == ActivityKind.Client && a.ParentSpanId == server.SpanId).SpanId.ToHexString());
        Assert.Equal(CallerSpanId, server.ParentSpanId.ToHexString());
    }
    [Fact]
    public async Task IncomingB3_NotSampledWithParentId_DownstreamKeepsDecisionAndDropsStaleParent()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null, UseProxy = false })
        {
            BaseAddress = fixture.Host.BaseUri,
            Timeout = TimeSpan.FromSeconds(30),
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo/b3-unsampled");
        request.Headers.TryAddWithoutValidation("X-B3-TraceId", traceId);
        request.Headers.TryAddWithoutValidation("X-B3-SpanId", CallerSpanId);
        request.Headers.TryAddWithoutValidation("X-B3-ParentSpanId", "05e3ac9a4f6e3b90");
        request.Headers.TryAddWithoutValidation("X-B3-Sampled", "0");
        using var response = await client.SendAsync(request);
        var echo = await EchoResponse.ReadAsync(response);

        // The caller declined the trace: downstream is told "0" in every format, not "decide yourself".
        DownstreamTrace.AssertCarried(echo, traceId, CallerSpanId, sampled: false);
        // The caller's parent id is not the parent of the gateway's span.
        Assert.Null(echo.Header("X-B3-ParentSpanId"));
    }
}
