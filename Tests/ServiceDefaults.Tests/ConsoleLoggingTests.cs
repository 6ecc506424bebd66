using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Infrastructure.ServiceDefaults.Tests;

[Collection(ProcessWideCollection.Name)]
public sealed class ConsoleLoggingTests
{
    private const string TraceId = "0af7651916cd43dd8448eb211c80319c";

    private static async Task<string> CaptureRequestOutputAsync(bool json, string marker, bool authenticated)
    {
        var original = Console.Out;
        using var capture = new StringWriter();
        Console.SetOut(TextWriter.Synchronized(capture));
        try
        {
            await using (var service = await LoopbackApps.StartServiceAsync(
                new Dictionary<string, string?> { ["OTEL_SERVICE_NAME"] = "console-logs", ["Logging:Json"] = json ? "true" : "false" },
                app =>
                {
                    if (authenticated)
                    {
                        // Stands in for the app's own UseAuthentication, placed after the ServiceDefaults middleware.
                        app.Use((ctx, next) =>
                        {
                            ctx.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("client_id", "order-service"), new Claim("sub", "alice")], "Bearer"));
                            return next(ctx);
                        });
                    }
                    app.MapGet("/work", (ILogger<ConsoleLoggingTests> log) =>
                    {
                        log.LogInformation("Working on {Marker}", marker);
                        return "done";
                    });
                }))
            {
                using var client = LoopbackApps.UninstrumentedClient();
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service.BaseUri(), "work"));
                request.Headers.Add("traceparent", $"00-{TraceId}-b7ad6b7169203331-01");
                (await client.SendAsync(request)).EnsureSuccessStatusCode();
            }
            return capture.ToString();
        }
        finally
        {
            Console.SetOut(original);
        }
    }

    [Fact]
    public async Task JsonLogging_AuthenticatedRequest_WritesCompactJsonWithTraceServiceAndConsumer()
    {
        var marker = Guid.NewGuid().ToString("N");
        var output = await CaptureRequestOutputAsync(json: true, marker, authenticated: true);

        var events = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var work = Assert.Single(events, e => e.TryGetProperty("Marker", out var m) && m.GetString() == marker);
        Assert.Equal(TraceId, work.GetProperty("@tr").GetString());
        Assert.Matches("^[0-9a-f]{16}$", work.GetProperty("@sp").GetString());
        Assert.Equal("console-logs", work.GetProperty("Service").GetString());
        Assert.Equal(ServiceIdentity.InstanceId, work.GetProperty("InstanceId").GetString());
        Assert.Equal("order-service", work.GetProperty("ClientId").GetString());
        Assert.Equal("alice", work.GetProperty("Subject").GetString());
        Assert.Contains(marker, work.GetProperty("@m").GetString(), StringComparison.Ordinal);

        // The request-completed line is written by middleware that ran before authentication, yet still names the consumer.
        var completed = Assert.Single(events, e => e.TryGetProperty("StatusCode", out _) && e.GetProperty("RequestPath").GetString() == "/work" && e.GetProperty("@tr").GetString() == TraceId);
        Assert.Equal("order-service", completed.GetProperty("ClientId").GetString());
        Assert.Equal(200, completed.GetProperty("StatusCode").GetInt32());
    }

    [Fact]
    public async Task JsonLogging_AnonymousRequest_HasNoConsumerProperties()
    {
        var marker = Guid.NewGuid().ToString("N");
        var output = await CaptureRequestOutputAsync(json: true, marker, authenticated: false);

        var line = Assert.Single(output.Split('\n'), l => l.Contains(marker, StringComparison.Ordinal));
        var e = JsonDocument.Parse(line).RootElement;
        Assert.Equal(TraceId, e.GetProperty("@tr").GetString());
        Assert.False(e.TryGetProperty("ClientId", out _));
        Assert.False(e.TryGetProperty("Subject", out _));
    }

    [Fact]
    public async Task ConsoleLogging_Default_WritesReadableLineWithTraceId()
    {
        var marker = Guid.NewGuid().ToString("N");
        var output = await CaptureRequestOutputAsync(json: false, marker, authenticated: false);

        var line = Assert.Single(output.Split('\n'), l => l.Contains(marker, StringComparison.Ordinal)).TrimEnd();
        Assert.Matches(@"^\[\d\d:\d\d:\d\d INF\] Infrastructure\.ServiceDefaults\.Tests\.ConsoleLoggingTests: Working on " + marker + " " + TraceId + "$", line);
    }
}
