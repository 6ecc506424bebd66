using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Infrastructure.ServiceDefaults.Tests;

public sealed class SeqLogShippingTests
{
    private sealed record Received(string Path, string? ContentType, string? ApiKey, string Body);

    [Fact]
    public async Task SeqServerUrl_Set_ShipsClefEventsWithTraceIdAndApiKey()
    {
        var received = new ConcurrentQueue<Received>();
        // Seq's raw ingestion endpoint; it answers 201 with the minimum level it wants.
        await using var seq = await LoopbackApps.StartBareAsync(app => app.MapPost("/api/events/raw", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            received.Enqueue(new Received(ctx.Request.Path, ctx.Request.ContentType, ctx.Request.Headers["X-Seq-ApiKey"], await reader.ReadToEndAsync()));
            return Results.Json(new { MinimumLevelAccepted = (string?)null }, statusCode: StatusCodes.Status201Created);
        }));
        var marker = Guid.NewGuid().ToString("N");
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?>
            {
                ["OTEL_SERVICE_NAME"] = "seq-logs",
                ["Logging:Seq:ServerUrl"] = seq.BaseUri().ToString(),
                ["Logging:Seq:ApiKey"] = "lab-key",
            },
            app => app.MapGet("/work", (ILogger<SeqLogShippingTests> log) =>
            {
                log.LogInformation("Working on {Marker}", marker);
                return "done";
            }));

        var traceId = Guid.NewGuid().ToString("N");
        using var client = LoopbackApps.UninstrumentedClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service.BaseUri(), "work"));
        request.Headers.Add("traceparent", $"00-{traceId}-aaaabbbbccccdddd-01");
        (await client.SendAsync(request)).EnsureSuccessStatusCode();

        Received? batch = null;
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while ((batch = received.FirstOrDefault(r => r.Body.Contains(marker, StringComparison.Ordinal))) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.NotNull(batch);
        Assert.StartsWith("application/vnd.serilog.clef", batch.ContentType, StringComparison.Ordinal);
        Assert.Equal("lab-key", batch.ApiKey);
        var e = batch.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Single(x => x.TryGetProperty("Marker", out var m) && m.GetString() == marker);
        Assert.Equal(traceId, e.GetProperty("@tr").GetString());
        Assert.Equal("seq-logs", e.GetProperty("Service").GetString());
        Assert.Equal(ServiceIdentity.InstanceId, e.GetProperty("InstanceId").GetString());
    }

    [Fact]
    public void SeqServerUrl_NotAUrl_FailsAtStartupWithTheKeyName()
    {
        var ex = Assert.ThrowsAny<Exception>(() => LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?> { ["Logging:Seq:ServerUrl"] = "not a url" }, _ => { }).GetAwaiter().GetResult());
        Assert.Contains("Logging:Seq:ServerUrl", ex.Message, StringComparison.Ordinal);
    }
}
