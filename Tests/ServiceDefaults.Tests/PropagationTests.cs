using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.ServiceDefaults.Tests;

public sealed class PropagationTests
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string CallerSpanId = "00f067aa0ba902b7";

    private sealed record Seen(string TraceId, string ParentSpanId);

    public static TheoryData<string, string> IncomingHeaders() => new()
    {
        { "w3c", $"traceparent=00-{TraceId}-{CallerSpanId}-01" },
        { "b3-multi", $"X-B3-TraceId={TraceId};X-B3-SpanId={CallerSpanId};X-B3-Sampled=1" },
        { "b3-single", $"b3={TraceId}-{CallerSpanId}-1" },
    };

    [Theory]
    [MemberData(nameof(IncomingHeaders))]
    public async Task IncomingRequest_WithTraceHeaders_JoinsTraceAndEmitsW3cAndB3Downstream(string format, string headers)
    {
        var recorder = new LoopbackApps.HeaderRecorder();
        await using var downstream = await LoopbackApps.StartBareAsync(recorder.Map);
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?> { ["OTEL_SERVICE_NAME"] = "propagation-" + format },
            app => app.MapGet("/call", async (IHttpClientFactory factory) =>
            {
                var seen = new Seen(Activity.Current!.TraceId.ToHexString(), Activity.Current.ParentSpanId.ToHexString());
                using var r = await factory.CreateClient().GetAsync(new Uri(downstream.BaseUri(), "sink"));
                r.EnsureSuccessStatusCode();
                return Results.Ok(seen);
            }));

        using var client = LoopbackApps.UninstrumentedClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service.BaseUri(), "call"));
        foreach (var pair in headers.Split(';'))
        {
            var (name, value) = (pair[..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var seen = await response.Content.ReadFromJsonAsync<Seen>();

        // The server span continues the caller's trace, as the caller's child.
        Assert.Equal(TraceId, seen!.TraceId);
        Assert.Equal(CallerSpanId, seen.ParentSpanId);

        // The downstream call carries the same trace in both W3C and B3 form, exactly once each.
        var sent = Assert.Single(recorder.Requests);
        var traceparent = Assert.Single(sent["traceparent"].ToArray());
        Assert.Matches($"^00-{TraceId}-[0-9a-f]{{16}}-01$", traceparent);
        var clientSpanId = traceparent!.Split('-')[2];
        Assert.NotEqual(CallerSpanId, clientSpanId);
        Assert.Equal(TraceId, sent["X-B3-TraceId"].ToString());
        Assert.Equal(clientSpanId, sent["X-B3-SpanId"].ToString());
        Assert.Equal("1", sent["X-B3-Sampled"].ToString());
        Assert.Equal($"{TraceId}-{clientSpanId}-1", sent["b3"].ToString());
    }

    [Fact]
    public async Task IncomingRequest_WithShortB3TraceId_IsLeftPaddedTo128Bits()
    {
        var recorder = new LoopbackApps.HeaderRecorder();
        await using var downstream = await LoopbackApps.StartBareAsync(recorder.Map);
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?> { ["OTEL_SERVICE_NAME"] = "propagation-short" },
            app => app.MapGet("/call", () => Results.Ok(new Seen(Activity.Current!.TraceId.ToHexString(), Activity.Current.ParentSpanId.ToHexString()))));

        using var client = LoopbackApps.UninstrumentedClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service.BaseUri(), "call"));
        // Sleuth before 2.0 and many Zipkin tracers send 64-bit trace ids.
        request.Headers.TryAddWithoutValidation("X-B3-TraceId", "a3ce929d0e0e4736");
        request.Headers.TryAddWithoutValidation("X-B3-SpanId", CallerSpanId);
        request.Headers.TryAddWithoutValidation("X-B3-Sampled", "1");
        using var response = await client.SendAsync(request);
        var seen = await response.Content.ReadFromJsonAsync<Seen>();

        Assert.Equal("0000000000000000a3ce929d0e0e4736", seen!.TraceId);
        Assert.Equal(CallerSpanId, seen.ParentSpanId);
    }

    [Fact]
    public async Task OutgoingCall_CarryingCopiedTraceHeaders_HasThemReplacedByTheClientSpan()
    {
        // A forwarder copies the caller's headers onto the outgoing request; the outgoing ones must name the new client
        // span, once, not the caller's span next to it.
        var recorder = new LoopbackApps.HeaderRecorder();
        await using var downstream = await LoopbackApps.StartBareAsync(recorder.Map);
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?> { ["OTEL_SERVICE_NAME"] = "propagation-forwarder" },
            app => app.MapGet("/forward", async (HttpContext ctx, IHttpClientFactory factory) =>
            {
                using var outgoing = new HttpRequestMessage(HttpMethod.Get, new Uri(downstream.BaseUri(), "sink"));
                foreach (var name in new[] { "traceparent", "X-B3-TraceId", "X-B3-SpanId", "X-B3-Sampled", "b3" })
                {
                    if (ctx.Request.Headers.TryGetValue(name, out var v))
                    {
                        outgoing.Headers.TryAddWithoutValidation(name, v.ToString());
                    }
                }
                using var r = await factory.CreateClient().SendAsync(outgoing);
                return Results.StatusCode((int)r.StatusCode);
            }));

        using var client = LoopbackApps.UninstrumentedClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service.BaseUri(), "forward"));
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{TraceId}-{CallerSpanId}-01");
        request.Headers.TryAddWithoutValidation("X-B3-TraceId", TraceId);
        request.Headers.TryAddWithoutValidation("X-B3-SpanId", CallerSpanId);
        request.Headers.TryAddWithoutValidation("X-B3-Sampled", "1");
        request.Headers.TryAddWithoutValidation("b3", $"{TraceId}-{CallerSpanId}-1");
        (await client.SendAsync(request)).EnsureSuccessStatusCode();

        var sent = Assert.Single(recorder.Requests);
        var clientSpanId = Assert.Single(sent["traceparent"].ToArray())!.Split('-')[2];
        Assert.NotEqual(CallerSpanId, clientSpanId);
        Assert.Equal(clientSpanId, Assert.Single(sent["X-B3-SpanId"].ToArray()));
        Assert.Equal($"{TraceId}-{clientSpanId}-1", Assert.Single(sent["b3"].ToArray()));
    }
}
