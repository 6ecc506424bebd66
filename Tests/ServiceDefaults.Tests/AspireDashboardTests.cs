using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.ServiceDefaults.Tests;

public sealed class AspireDashboardTests
{
    // One request to each of three real server processes, all carrying the same W3C trace context — as a caller's
    // fan-out would — must land in the dashboard as one trace id with logs from all three services.
    private static readonly (string Project, string Service, string Path)[] Servers =
    [
        ("Discovery.Server", "lab-discovery", "/"),
        ("Config.Server", "lab-config", "/application/default"),
        ("Auth.Server", "lab-auth", "/.well-known/openid-configuration"),
    ];

    [Fact]
    public async Task Dashboard_ThreeServicesShareATraceparent_LogsOfAllThreeFoundByTraceId()
    {
        await using var dashboard = await AspireDashboard.StartAsync(TimeSpan.FromSeconds(60));
        var processes = new List<ServerProcess>();
        try
        {
            foreach (var (project, service, _) in Servers)
            {
                processes.Add(await ServerProcess.StartAsync(project, environment: new Dictionary<string, string?>
                {
                    ["OTEL_SERVICE_NAME"] = service,
                    ["OTEL_EXPORTER_OTLP_ENDPOINT"] = dashboard.OtlpHttp.ToString().TrimEnd('/'),
                    ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                    // Export spans every half second rather than every five, to keep the test short.
                    ["OTEL_BSP_SCHEDULE_DELAY"] = "500",
                }));
            }

            var traceId = Guid.NewGuid().ToString("N");
            using var client = LoopbackApps.UninstrumentedClient();
            for (var i = 0; i < Servers.Length; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(processes[i].BaseUri, Servers[i].Path.TrimStart('/')));
                request.Headers.Add("traceparent", $"00-{traceId}-{i + 1:x16}-01");
                using var _ = await client.SendAsync(request);
            }

            using var api = new HttpClient { BaseAddress = dashboard.Frontend, Timeout = TimeSpan.FromSeconds(10) };
            var logsByService = new Dictionary<string, List<JsonElement>>();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (logsByService.Count < Servers.Length && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                using var doc = JsonDocument.Parse(await api.GetStringAsync($"api/telemetry/logs?traceId={traceId}"));
                logsByService = doc.RootElement.GetProperty("data").GetProperty("resourceLogs").EnumerateArray()
                    .GroupBy(rl => ResourceAttribute(rl, "service.name")!)
                    .ToDictionary(g => g.Key, g => g.SelectMany(rl => rl.GetProperty("scopeLogs").EnumerateArray())
                        .SelectMany(sl => sl.GetProperty("logRecords").EnumerateArray()).Select(r => r.Clone()).ToList());
            }

            Assert.True(logsByService.Count == Servers.Length,
                $"services with logs under {traceId}: [{string.Join(", ", logsByService.Keys)}]\n{dashboard.Output}");
            foreach (var (_, service, path) in Servers)
            {
                var records = logsByService[service];
                Assert.All(records, r => Assert.Equal(traceId, r.GetProperty("traceId").GetString()));
                // Exactly once: Serilog owns the ILogger pipeline, so the SDK's own OTLP log exporter must not ship a second copy.
                Assert.Single(records, r => r.GetProperty("body").GetProperty("stringValue").GetString()!.Contains($"HTTP GET {path} responded", StringComparison.Ordinal));
            }

            // The same trace id finds the spans of all three services too.
            var spanServices = new HashSet<string>();
            deadline = DateTime.UtcNow.AddSeconds(60);
            while (spanServices.Count < Servers.Length && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                using var doc = JsonDocument.Parse(await api.GetStringAsync($"api/telemetry/spans?traceId={traceId}"));
                spanServices = [.. doc.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray()
                    .Where(rs => rs.GetProperty("scopeSpans").EnumerateArray().SelectMany(ss => ss.GetProperty("spans").EnumerateArray())
                        .Any(s => s.GetProperty("traceId").GetString() == traceId))
                    .Select(rs => ResourceAttribute(rs, "service.name")!)];
            }
            Assert.Equal(Servers.Select(s => s.Service).Order(), spanServices.Order());
        }
        finally
        {
            foreach (var p in processes)
            {
                await p.DisposeAsync();
            }
        }
    }

    private static string? ResourceAttribute(JsonElement resourceItem, string key) =>
        resourceItem.GetProperty("resource").GetProperty("attributes").EnumerateArray()
            .Where(a => a.GetProperty("key").GetString() == key)
            .Select(a => a.GetProperty("value").TryGetProperty("stringValue", out var v) ? v.GetString() : null)
            .FirstOrDefault();
}
