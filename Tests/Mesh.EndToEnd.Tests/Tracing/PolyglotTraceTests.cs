using System.Text.Json;
using Infrastructure.Mesh.EndToEnd.Tests.Topology;

namespace Infrastructure.Mesh.EndToEnd.Tests.Tracing;

/// <summary>
/// The Python and Node.js services, with no library, working through their sidecars: one request to productpage
/// reaches reviews v2 and ratings, and every hop carries one trace id (the apps echo the trace headers they got; the
/// sidecars export their spans).
/// </summary>
[Collection(BookinfoCollection.Name)]
public sealed class PolyglotTraceTests(BookinfoFixture bookinfo) : IAsyncLifetime
{
    private static readonly HttpClient Plain = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    public async Task InitializeAsync()
    {
        await bookinfo.ResetAsync();
        await bookinfo.RouteReviewsAsync(0, 100, expect: "v2");
    }

    public Task DisposeAsync() => bookinfo.ResetAsync();

    [Fact]
    public async Task ProductPage_ThroughItsSidecar_OneTraceIdAcrossReviewsAndRatings()
    {
        // Into productpage through its sidecar's inbound port (plain HTTP is accepted under PERMISSIVE), as an ingress would.
        var body = await Plain.GetStringAsync(new Uri($"http://127.0.0.1:{bookinfo.ProductPage.InboundPort}/api/v1/products/0"));
        using var doc = JsonDocument.Parse(body);
        var product = doc.RootElement;
        Assert.True(product.TryGetProperty("reviews", out var reviews), "productpage got no reviews: " + body);
        Assert.Equal("v2", reviews.GetProperty("version").GetString());
        Assert.True(reviews.TryGetProperty("ratings", out var ratings), "reviews v2 got no ratings: " + body);
        Assert.Equal(5, ratings.GetProperty("ratings").GetProperty("Reviewer1").GetInt32());
        Assert.Equal(5, reviews.GetProperty("reviews")[0].GetProperty("rating").GetProperty("stars").GetInt32());

        var atProductPage = TraceId(product);
        var atReviews = TraceId(reviews);
        var atRatings = TraceId(ratings);
        Assert.True(atProductPage is { Length: 32 }, "productpage's sidecar gave it no traceparent: " + body);
        Assert.Equal(atProductPage, atReviews);
        Assert.Equal(atProductPage, atRatings);

        // The sidecars' spans of that trace reach the collector: one server span per hop at least.
        var spans = await bookinfo.Zipkin.WaitForAsync(s => s.GetProperty("traceId").GetString() == atProductPage && IsServer(s), 3);
        var services = spans.Select(s => s.TryGetProperty("localEndpoint", out var e) && e.TryGetProperty("serviceName", out var n) ? n.GetString() : null).ToHashSet();
        Assert.True(spans.Count >= 3, $"server spans of trace {atProductPage}: {spans.Count} ({string.Join(", ", services)})");
    }

    [Fact]
    public async Task CallerTraceparent_KeptAcrossEveryHop()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{bookinfo.ProductPage.InboundPort}/api/v1/products/0"));
        request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
        request.Headers.Add("x-request-id", "lab-request-1");
        using var response = await Plain.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        var reviews = doc.RootElement.GetProperty("reviews");
        Assert.Equal(traceId, TraceId(doc.RootElement));
        Assert.Equal(traceId, TraceId(reviews));
        Assert.Equal(traceId, TraceId(reviews.GetProperty("ratings")));
        Assert.Equal("lab-request-1", reviews.GetProperty("ratings").GetProperty("headers").GetProperty("x-request-id").GetString());
    }

    private static string? TraceId(JsonElement hop) =>
        hop.TryGetProperty("headers", out var h) && h.TryGetProperty("traceparent", out var tp) && tp.GetString() is { } s && s.Split('-') is [_, var id, _, _]
            ? id
            : null;

    private static bool IsServer(JsonElement span) => span.TryGetProperty("kind", out var k) && k.GetString() == "SERVER";
}
