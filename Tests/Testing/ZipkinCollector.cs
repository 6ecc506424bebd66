using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Testing;

/// <summary>A loopback stand-in for Zipkin's collector (<c>POST /api/v2/spans</c>, a JSON array of v2 spans) that keeps what it gets.</summary>
public sealed class ZipkinCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonElement> _spans = new();
    private int _rejected;

    private ZipkinCollector(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The URL to export to (<c>Tracing:Zipkin:Endpoint</c>).</summary>
    public Uri Endpoint { get; }

    /// <summary>Requests that were not a JSON array of objects each carrying <c>traceId</c> and <c>id</c>.</summary>
    public int Rejected => Volatile.Read(ref _rejected);

    /// <summary>The <c>Content-Type</c> of every export received.</summary>
    public ConcurrentQueue<string> ContentTypes { get; } = new();

    /// <summary>Starts on a free loopback port.</summary>
    public static async Task<ZipkinCollector> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var collector = new ZipkinCollector(app, new Uri($"http://127.0.0.1:{port}/api/v2/spans"));
        app.MapPost("/api/v2/spans", (Func<HttpContext, Task<IResult>>)collector.ReceiveAsync);
        await app.StartAsync();
        return collector;
    }

    private async Task<IResult> ReceiveAsync(HttpContext ctx)
    {
        ContentTypes.Enqueue(ctx.Request.ContentType ?? "");
        if (ctx.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
        {
            Interlocked.Increment(ref _rejected);
            return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
        }
        using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
        if (doc.RootElement.ValueKind != JsonValueKind.Array
            || doc.RootElement.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.Object || !s.TryGetProperty("traceId", out _) || !s.TryGetProperty("id", out _)))
        {
            Interlocked.Increment(ref _rejected);
            return Results.BadRequest();
        }
        foreach (var span in doc.RootElement.EnumerateArray())
        {
            _spans.Enqueue(span.Clone());
        }
        return Results.Accepted();
    }

    /// <summary>The spans of one trace received so far.</summary>
    public IReadOnlyList<JsonElement> Trace(string traceId) =>
        [.. _spans.Where(s => s.GetProperty("traceId").GetString() == traceId)];

    /// <summary>The spans of one trace once there are <paramref name="count"/> (or what there is after 30 s).</summary>
    public Task<List<JsonElement>> WaitForTraceAsync(string traceId, int count) =>
        WaitForAsync(s => s.GetProperty("traceId").GetString() == traceId, count);

    /// <summary>The spans matching <paramref name="predicate"/> once there are <paramref name="count"/> (or what there is after 30 s).</summary>
    public async Task<List<JsonElement>> WaitForAsync(Func<JsonElement, bool> predicate, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<JsonElement> found;
        do
        {
            found = [.. _spans.Where(predicate)];
            if (found.Count >= count)
            {
                return found;
            }
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        return found;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
