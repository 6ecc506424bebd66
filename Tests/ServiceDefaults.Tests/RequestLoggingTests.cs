using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Serilog;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>The one request-completed line: Serilog.AspNetCore's shape, properties from <see cref="IDiagnosticContext"/>, failures.</summary>
[Collection(ProcessWideCollection.Name)]
public sealed class RequestLoggingTests
{
    private static async Task<List<JsonElement>> CaptureJsonEventsAsync(Action<WebApplication> map, params string[] paths)
    {
        var original = Console.Out;
        using var capture = new StringWriter();
        Console.SetOut(TextWriter.Synchronized(capture));
        try
        {
            await using (var service = await LoopbackApps.StartServiceAsync(
                new Dictionary<string, string?> { ["OTEL_SERVICE_NAME"] = "request-logs", ["Logging:Json"] = "true" }, map))
            {
                using var client = LoopbackApps.UninstrumentedClient();
                foreach (var path in paths)
                {
                    using var response = await client.GetAsync(new Uri(service.BaseUri(), path.TrimStart('/')));
                }
            }
        }
        finally
        {
            Console.SetOut(original);
        }
        return capture.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
    }

    private static JsonElement CompletedLine(List<JsonElement> events, string path) =>
        Assert.Single(events, e => e.TryGetProperty("StatusCode", out _)
            && e.GetProperty("SourceContext").GetString() == "Serilog.AspNetCore.RequestLoggingMiddleware"
            && e.GetProperty("RequestPath").GetString() == path);

    [Fact]
    public async Task SuccessfulRequest_WritesSerilogShapedLineWithPropertiesSetThroughDiagnosticContext()
    {
        var events = await CaptureJsonEventsAsync(app => app.MapGet("/orders/{id:int}", (int id, IDiagnosticContext diagnostics) =>
        {
            diagnostics.Set("OrderId", id);
            diagnostics.Set("Stage", "first");
            diagnostics.Set("Stage", "last");
            return "ok";
        }), "/orders/42");

        var line = CompletedLine(events, "/orders/42");
        // Serilog.AspNetCore's template, "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0000} ms".
        Assert.Matches(@"^HTTP ""GET"" ""/orders/42"" responded 200 in \d+\.\d{4} ms$", line.GetProperty("@m").GetString());
        Assert.Equal("Serilog.AspNetCore.RequestLoggingMiddleware", line.GetProperty("SourceContext").GetString());
        Assert.Equal("GET", line.GetProperty("RequestMethod").GetString());
        Assert.Equal(200, line.GetProperty("StatusCode").GetInt32());
        Assert.True(line.GetProperty("Elapsed").GetDouble() >= 0);
        Assert.Equal(42, line.GetProperty("OrderId").GetInt32());
        Assert.Equal("last", line.GetProperty("Stage").GetString());
        Assert.Equal("request-logs", line.GetProperty("Service").GetString());
        Assert.Matches("^[0-9a-f]{32}$", line.GetProperty("@tr").GetString());
        // Information is the default level, which compact JSON leaves out.
        Assert.False(line.TryGetProperty("@l", out _));
    }

    [Fact]
    public async Task FailingRequest_IsLoggedAsErrorWith500AndTheException()
    {
        var events = await CaptureJsonEventsAsync(
            app => app.MapGet("/boom", (HttpContext _) => throw new InvalidOperationException("kaboom")), "/boom");

        var line = CompletedLine(events, "/boom");
        Assert.Equal("Error", line.GetProperty("@l").GetString());
        Assert.Equal(500, line.GetProperty("StatusCode").GetInt32());
        Assert.Contains("InvalidOperationException: kaboom", line.GetProperty("@x").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ActuatorAndRequestsOutsideAnyRequest_AreQuietAndHarmless()
    {
        var events = await CaptureJsonEventsAsync(app =>
        {
            // Outside a request the injected context has nowhere to write and must not throw.
            var diagnostics = app.Services.GetRequiredService<IDiagnosticContext>();
            diagnostics.Set("Ignored", 1);
            app.MapGet("/plain", () => Results.StatusCode((int)HttpStatusCode.NotFound));
        }, "/actuator/health", "/plain");

        Assert.DoesNotContain(events, e => e.TryGetProperty("StatusCode", out _) && e.GetProperty("RequestPath").GetString() == "/actuator/health");
        var plain = CompletedLine(events, "/plain");
        Assert.Equal(404, plain.GetProperty("StatusCode").GetInt32());
        Assert.False(plain.TryGetProperty("Ignored", out _));
    }
}
