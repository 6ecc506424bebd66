using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Xunit.Abstractions;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>
/// The running lab's observability: one request through gateway → order → catalog is one trace in the Aspire Dashboard
/// and in Zipkin v2 format, its logs from the three services are found there by the trace id, and Prometheus scrapes
/// every process.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class MonitoringTests(LabFixture fixture, ITestOutputHelper output)
{
    private const string Dashboard = "http://127.0.0.1:18888/";
    private const string Prometheus = "http://127.0.0.1:9090/";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>One span as both the dashboard (OTLP/JSON) and Zipkin describe it.</summary>
    private sealed record Span(string Service, string Name, string Kind, string Id, string? ParentId);

    [Fact]
    public async Task OrderThroughGateway_OneTrace_GatewayProxyOrderCatalogChainInDashboardAndZipkin()
    {
        Assert.False(fixture.Lab.HasExited, fixture.Lab.Output);
        var (traceId, callerSpan) = await PlaceOrderAsync();

        var dashboard = await PollAsync(() => DashboardSpansAsync(traceId), HasFullChain, "the trace in the dashboard");
        AssertChain(dashboard, callerSpan);

        var zipkin = await PollAsync(() => Task.FromResult(ZipkinSpans(traceId)), HasFullChain, "the trace in Zipkin format");
        AssertChain(zipkin, callerSpan);
        Assert.Equal(0, fixture.Zipkin.Rejected);
        // Same spans, two formats: the ids match one to one.
        Assert.Subset(zipkin.Select(s => s.Id).ToHashSet(), ChainOf(dashboard, callerSpan).Select(s => s.Id).ToHashSet());
    }

    [Fact]
    public async Task OrderThroughGateway_LogsOfGatewayOrderCatalog_FoundInDashboardByTraceId()
    {
        Assert.False(fixture.Lab.HasExited, fixture.Lab.Output);
        var (traceId, _) = await PlaceOrderAsync();

        var logs = await PollAsync(() => DashboardLogsAsync(traceId),
            l => new[] { "gateway", "order", "catalog" }.All(s => l.Any(x => x.Service == s && x.Body.Contains("responded", StringComparison.Ordinal))),
            "the request's log lines of gateway, order and catalog");
        Assert.All(logs, l => Assert.Equal(traceId, l.TraceId));
        Assert.Single(logs, l => l.Service == "gateway" && l.Body.StartsWith("HTTP POST /order/api/orders responded 201", StringComparison.Ordinal));
        Assert.Single(logs, l => l.Service == "order" && l.Body.StartsWith("HTTP POST /api/orders responded 201", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Service == "catalog" && l.Body.StartsWith("HTTP GET /api/products/2 responded 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithPrometheus_EveryLabProcess_ScrapedAndUp()
    {
        Assert.False(fixture.Lab.HasExited, fixture.Lab.Output);
        // The lab's own Prometheus answers on 9090 (not, say, a system one that took the port first).
        Assert.Matches(@"\nprometheus +http://127\.0\.0\.1:9090/ ", fixture.Lab.Output);
        // discovery, config, auth, catalog ×2, order, gateway, web-bff ×2, mobile-bff.
        const int Processes = 10;
        var targets = await PollAsync(async () =>
        {
            using var doc = JsonDocument.Parse(await Http.GetStringAsync(Prometheus + "api/v1/targets?state=active"));
            return doc.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
                .Select(t => (Job: t.GetProperty("labels").GetProperty("job").GetString()!, Instance: t.GetProperty("labels").GetProperty("instance").GetString()!,
                              Url: t.GetProperty("scrapeUrl").GetString()!, Health: t.GetProperty("health").GetString()!))
                .ToList();
        }, t => t.Count == Processes && t.All(x => x.Health == "up"), "every target up");
        Assert.All(targets, t => Assert.EndsWith("/actuator/prometheus", t.Url, StringComparison.Ordinal));
        Assert.Equal(["auth", "catalog", "config", "discovery", "gateway", "mobile-bff", "order", "web-bff"], targets.Select(t => t.Job).Distinct().Order(StringComparer.Ordinal));

        var up = await PollAsync(async () =>
        {
            using var doc = JsonDocument.Parse(await Http.GetStringAsync(Prometheus + "api/v1/query?query=up"));
            Assert.Equal("success", doc.RootElement.GetProperty("status").GetString());
            return doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
                .Select(r => (Instance: r.GetProperty("metric").GetProperty("instance").GetString()!, Value: r.GetProperty("value")[1].GetString()!))
                .ToList();
        }, r => r.Count == Processes && r.All(x => x.Value == "1"), "up == 1 for every process");
        Assert.Equal(targets.Select(t => t.Instance).Order(StringComparer.Ordinal), up.Select(u => u.Instance).Order(StringComparer.Ordinal));

        // The scraped series are the processes' own metrics, not only Prometheus' synthetic ones.
        var requests = await PollAsync(async () =>
        {
            using var doc = JsonDocument.Parse(await Http.GetStringAsync(Prometheus + "api/v1/query?query=" + Uri.EscapeDataString("count by (job) (dotnet_process_cpu_count)")));
            return doc.RootElement.GetProperty("data").GetProperty("result").GetArrayLength();
        }, n => n == 8, "runtime metrics of every job");
        Assert.Equal(8, requests);
    }

    private static async Task<(string TraceId, string CallerSpan)> PlaceOrderAsync()
    {
        var token = await FullLabTests.TokenAsync("order.write catalog.read");
        // The caller starts the trace, as a Sleuth/Zipkin-instrumented client would: its ids are known up front.
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var callerSpan = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:8080/order/api/orders")
        {
            Content = JsonContent.Create(new { items = new[] { new { productId = 2, quantity = 1 } } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpan}-01");
        using var uninstrumented = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { Timeout = TimeSpan.FromSeconds(30) };
        using var r = await uninstrumented.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return (traceId, callerSpan);
    }

    private static readonly (string Service, string Kind)[] Hops =
        [("gateway", "SERVER"), ("gateway", "CLIENT"), ("order", "SERVER"), ("order", "CLIENT"), ("catalog", "SERVER")];

    /// <summary>
    /// gateway SERVER (named after the route) → gateway CLIENT → order SERVER → order CLIENT → catalog SERVER, each the previous
    /// one's child (the longest such path: a retried catalog call has several order CLIENT spans).
    /// </summary>
    private static List<Span> ChainOf(IReadOnlyList<Span> spans, string callerSpan)
    {
        List<Span> Walk(string parent, int hop)
        {
            var best = new List<Span>();
            if (hop == Hops.Length) { return best; }
            foreach (var next in spans.Where(s => s.ParentId == parent && s.Service == Hops[hop].Service && s.Kind == Hops[hop].Kind))
            {
                var path = Walk(next.Id, hop + 1);
                if (path.Count + 1 > best.Count) { best = [next, .. path]; }
            }
            return best;
        }
        return Walk(callerSpan, 0);
    }

    private static bool HasFullChain(IReadOnlyList<Span> spans) =>
        spans.Count > 0 && ChainOf(spans, spans.FirstOrDefault(s => s.Service == "gateway" && s.Kind == "SERVER")?.ParentId ?? "").Count == Hops.Length;

    private static void AssertChain(IReadOnlyList<Span> spans, string callerSpan)
    {
        var chain = ChainOf(spans, callerSpan);
        Assert.True(chain.Count == Hops.Length, "chain: " + string.Join(" → ", chain) + "\nall: " + string.Join("\n", spans));
        // One server span per hop: the gateway and the order service each served this request once.
        Assert.Single(spans, s => s.Service == "gateway" && s.Kind == "SERVER");
        Assert.Single(spans, s => s.Service == "order" && s.Kind == "SERVER");
        Assert.Equal("POST ReactiveCompositeDiscoveryClient_order", chain[0].Name);
        Assert.StartsWith("POST", chain[2].Name, StringComparison.Ordinal);
        Assert.StartsWith("GET", chain[4].Name, StringComparison.Ordinal);
    }

    private static async Task<IReadOnlyList<Span>> DashboardSpansAsync(string traceId)
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync($"{Dashboard}api/telemetry/spans?traceId={traceId}"));
        var result = new List<Span>();
        foreach (var rs in doc.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var service = ServiceName(rs.GetProperty("resource"));
            foreach (var ss in rs.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var s in ss.GetProperty("spans").EnumerateArray())
                {
                    Assert.Equal(traceId, s.GetProperty("traceId").GetString());
                    var kind = s.GetProperty("kind").GetInt32() switch { 1 => "INTERNAL", 2 => "SERVER", 3 => "CLIENT", 4 => "PRODUCER", 5 => "CONSUMER", var k => k.ToString(CultureInfo.InvariantCulture) };
                    result.Add(new Span(service, s.GetProperty("name").GetString()!, kind, s.GetProperty("spanId").GetString()!,
                        s.TryGetProperty("parentSpanId", out var p) ? p.GetString() : null));
                }
            }
        }
        return result;
    }

    private IReadOnlyList<Span> ZipkinSpans(string traceId) =>
        [.. fixture.Zipkin.Trace(traceId).Select(s => new Span(
            s.GetProperty("localEndpoint").GetProperty("serviceName").GetString()!,
            s.GetProperty("name").GetString()!,
            // Zipkin v2 leaves kind out for a local (INTERNAL) span.
            s.TryGetProperty("kind", out var k) ? k.GetString()! : "INTERNAL",
            s.GetProperty("id").GetString()!,
            s.TryGetProperty("parentId", out var p) ? p.GetString() : null))];

    private sealed record LogLine(string Service, string TraceId, string Body);

    private static async Task<IReadOnlyList<LogLine>> DashboardLogsAsync(string traceId)
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync($"{Dashboard}api/telemetry/logs?traceId={traceId}"));
        var result = new List<LogLine>();
        foreach (var rl in doc.RootElement.GetProperty("data").GetProperty("resourceLogs").EnumerateArray())
        {
            var service = ServiceName(rl.GetProperty("resource"));
            foreach (var sl in rl.GetProperty("scopeLogs").EnumerateArray())
            {
                foreach (var l in sl.GetProperty("logRecords").EnumerateArray())
                {
                    result.Add(new LogLine(service, l.GetProperty("traceId").GetString()!, l.GetProperty("body").GetProperty("stringValue").GetString()!));
                }
            }
        }
        return result;
    }

    private static string ServiceName(JsonElement resource) =>
        resource.GetProperty("attributes").EnumerateArray()
            .Single(a => a.GetProperty("key").GetString() == "service.name")
            .GetProperty("value").GetProperty("stringValue").GetString()!;

    private async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        // Generous: on a loaded 2-core machine a process's export batch, or the dashboard's answer, can take many seconds.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        T last = default!;
        while (true)
        {
            try
            {
                last = await read();
                if (done(last)) { return last; }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                output.WriteLine($"{what}: {e.Message}");
            }
            if (DateTime.UtcNow > deadline) { break; }
            await Task.Delay(500);
        }
        var seen = last is System.Collections.IEnumerable items and not string
            ? string.Join("\n", items.Cast<object>())
            : last?.ToString();
        output.WriteLine(seen);
        Assert.Fail($"timed out waiting for {what}; last seen:\n{seen}");
        return last;
    }
}
