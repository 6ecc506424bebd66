using System.Diagnostics;
using Infrastructure.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Context.Propagation;

namespace Infrastructure.ServiceDefaults.Tests;

public sealed class ZipkinB3PropagatorTests
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string SpanId = "00f067aa0ba902b7";

    private static PropagationContext Extract(bool single, Dictionary<string, string> headers) =>
        new ZipkinB3Propagator(single).Extract(default, headers, static (h, name) =>
            h.TryGetValue(name, out var v) ? [v] : null);

    [Theory]
    [InlineData("1", null, true)]
    [InlineData("true", null, true)]
    [InlineData("0", null, false)]
    [InlineData(null, "1", true)]
    [InlineData(null, null, false)]
    public void ExtractMulti_SampledAndDebugFlag_ParentWithDecision(string? sampled, string? flags, bool recorded)
    {
        var headers = new Dictionary<string, string> { ["X-B3-TraceId"] = TraceId, ["X-B3-SpanId"] = SpanId };
        if (sampled is not null)
        {
            headers["X-B3-Sampled"] = sampled;
        }
        if (flags is not null)
        {
            headers["X-B3-Flags"] = flags;
        }
        var context = Extract(single: false, headers).ActivityContext;
        Assert.Equal(TraceId, context.TraceId.ToHexString());
        Assert.Equal(SpanId, context.SpanId.ToHexString());
        Assert.True(context.IsRemote);
        Assert.Equal(recorded, context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded));
    }

    [Theory]
    [InlineData(TraceId + "-" + SpanId + "-1", true)]
    [InlineData(TraceId + "-" + SpanId + "-d", true)]
    [InlineData(TraceId + "-" + SpanId + "-0", false)]
    [InlineData(TraceId + "-" + SpanId, false)]
    [InlineData(TraceId + "-" + SpanId + "-1-05e3ac9a4f6e3b90", true)]
    public void ExtractSingle_Variants_ParentWithDecision(string b3, bool recorded)
    {
        var context = Extract(single: true, new() { ["b3"] = b3 }).ActivityContext;
        Assert.Equal(TraceId, context.TraceId.ToHexString());
        Assert.Equal(SpanId, context.SpanId.ToHexString());
        Assert.Equal(recorded, context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("d")]
    [InlineData("xyz-" + SpanId + "-1")]
    [InlineData(TraceId + "-00000000000000000-1")]
    [InlineData("00000000000000000000000000000000-" + SpanId + "-1")]
    [InlineData(TraceId + "-" + SpanId + "-1-a-b")]
    public void ExtractSingle_SamplingOnlyOrMalformed_NoParent(string b3)
    {
        Assert.Equal(default, Extract(single: true, new() { ["b3"] = b3 }).ActivityContext);
    }

    [Fact]
    public void Extract_ContextAlreadyFound_KeepsIt()
    {
        var w3c = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        var result = new ZipkinB3Propagator(singleHeader: true).Extract(new PropagationContext(w3c, default),
            new Dictionary<string, string> { ["b3"] = $"{TraceId}-{SpanId}-1" }, static (h, name) => h.TryGetValue(name, out var v) ? [v] : null);
        Assert.Equal(w3c, result.ActivityContext);
    }

    [Theory]
    [InlineData(ActivityTraceFlags.Recorded, "1")]
    [InlineData(ActivityTraceFlags.None, "0")]
    public void Inject_Decision_WrittenExplicitly(ActivityTraceFlags flags, string sampled)
    {
        var context = new PropagationContext(new ActivityContext(ActivityTraceId.CreateFromString(TraceId), ActivitySpanId.CreateFromString(SpanId), flags), default);
        var multi = new Dictionary<string, string>();
        new ZipkinB3Propagator(singleHeader: false).Inject(context, multi, static (h, k, v) => h[k] = v);
        Assert.Equal(TraceId, multi["X-B3-TraceId"]);
        Assert.Equal(SpanId, multi["X-B3-SpanId"]);
        Assert.Equal(sampled, multi["X-B3-Sampled"]);
        var single = new Dictionary<string, string>();
        new ZipkinB3Propagator(singleHeader: true).Inject(context, single, static (h, k, v) => h[k] = v);
        Assert.Equal($"{TraceId}-{SpanId}-{sampled}", single["b3"]);
    }

    [Fact]
    public async Task ForwardedCall_NotSampledB3CallerWithParentId_DownstreamGetsDecisionZeroAndNoStaleParent()
    {
        // A forwarder (like the gateway) copies the caller's headers; the outgoing B3 set must describe our client span
        // and keep the caller's "not sampled" decision, not the caller's parent id.
        var recorder = new LoopbackApps.HeaderRecorder();
        await using var downstream = await LoopbackApps.StartBareAsync(recorder.Map);
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?> { ["OTEL_SERVICE_NAME"] = "propagation-unsampled" },
            app => app.MapGet("/forward", async (HttpContext ctx, IHttpClientFactory factory) =>
            {
                using var outgoing = new HttpRequestMessage(HttpMethod.Get, new Uri(downstream.BaseUri(), "sink"));
                foreach (var name in new[] { "X-B3-TraceId", "X-B3-SpanId", "X-B3-ParentSpanId", "X-B3-Sampled" })
                {
                    outgoing.Headers.TryAddWithoutValidation(name, ctx.Request.Headers[name].ToString());
                }
                using var r = await factory.CreateClient().SendAsync(outgoing);
                return Results.StatusCode((int)r.StatusCode);
            }));

        using var client = LoopbackApps.UninstrumentedClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service.BaseUri(), "forward"));
        request.Headers.TryAddWithoutValidation("X-B3-TraceId", TraceId);
        request.Headers.TryAddWithoutValidation("X-B3-SpanId", SpanId);
        request.Headers.TryAddWithoutValidation("X-B3-ParentSpanId", "05e3ac9a4f6e3b90");
        request.Headers.TryAddWithoutValidation("X-B3-Sampled", "0");
        (await client.SendAsync(request)).EnsureSuccessStatusCode();

        var sent = Assert.Single(recorder.Requests);
        Assert.Equal(TraceId, sent["X-B3-TraceId"].ToString());
        var clientSpanId = Assert.Single(sent["X-B3-SpanId"].ToArray());
        Assert.NotEqual(SpanId, clientSpanId);
        Assert.Equal("0", sent["X-B3-Sampled"].ToString());
        Assert.Equal($"{TraceId}-{clientSpanId}-0", sent["b3"].ToString());
        Assert.Equal($"00-{TraceId}-{clientSpanId}-00", sent["traceparent"].ToString());
        Assert.False(sent.ContainsKey("X-B3-ParentSpanId"));
    }
}
