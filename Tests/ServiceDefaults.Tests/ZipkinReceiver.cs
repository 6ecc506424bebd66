using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>A loopback stand-in for Zipkin's collector: <c>POST /api/v2/spans</c> with a JSON array of v2 spans.</summary>
internal sealed class ZipkinReceiver
{
    public ConcurrentQueue<JsonElement> Spans { get; } = new();
    public ConcurrentQueue<string> ContentTypes { get; } = new();

    public void Map(WebApplication app) => app.MapPost("/api/v2/spans", async (HttpContext ctx) =>
    {
        ContentTypes.Enqueue(ctx.Request.ContentType ?? "");
        using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
        foreach (var span in doc.RootElement.EnumerateArray())
        {
            Spans.Enqueue(span.Clone());
        }
        return Results.Accepted();
    });

    public Task<List<JsonElement>> WaitForTraceAsync(string traceId, int count) =>
        WaitForAsync(s => s.GetProperty("traceId").GetString() == traceId, count);

    /// <summary>The spans matching <paramref name="predicate"/> once there are <paramref name="count"/> (or what there is after 30 s).</summary>
    public async Task<List<JsonElement>> WaitForAsync(Func<JsonElement, bool> predicate, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<JsonElement> found;
        do
        {
            found = [.. Spans.Where(predicate)];
            if (found.Count >= count)
            {
                return found;
            }
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        return found;
    }
}
