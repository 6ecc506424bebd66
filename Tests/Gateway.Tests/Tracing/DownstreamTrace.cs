using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Tracing;

/// <summary>What a backend behind the gateway must see for one trace: W3C and both B3 forms naming the gateway's client span.</summary>
internal static class DownstreamTrace
{
    /// <summary>
    /// Asserts <c>traceparent</c>, <c>X-B3-TraceId</c>/<c>X-B3-SpanId</c>/<c>X-B3-Sampled</c> and <c>b3</c> carry
    /// <paramref name="traceId"/>, one new span id (not <paramref name="callerSpanId"/>) and the sampling decision; returns that span id.
    /// </summary>
    public static string AssertCarried(EchoResponse echo, string traceId, string callerSpanId, bool sampled)
    {
        var traceparent = echo.Header("traceparent");
        Assert.NotNull(traceparent);
        Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-{(sampled ? "01" : "00")}$", traceparent);
        var clientSpanId = traceparent.Split('-')[2];
        Assert.NotEqual(callerSpanId, clientSpanId);
        Assert.Equal(traceId, echo.Header("X-B3-TraceId"));
        Assert.Equal(clientSpanId, echo.Header("X-B3-SpanId"));
        Assert.Equal(sampled ? "1" : "0", echo.Header("X-B3-Sampled"));
        Assert.Equal($"{traceId}-{clientSpanId}-{(sampled ? "1" : "0")}", echo.Header("b3"));
        return clientSpanId;
    }
}
