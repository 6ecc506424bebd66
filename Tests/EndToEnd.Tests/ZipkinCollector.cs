using System.Collections.Concurrent;
using System.Text.Json;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>A loopback stand-in for Zipkin's collector (<c>POST /api/v2/spans</c>, a JSON array of v2 spans) that keeps what it gets.</summary>
public sealed class ZipkinCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonElement> _spans = new();

    private ZipkinCollector(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The URL to export to (<c>Tracing:Zipkin:Endpoint</c>).</summary>
    public Uri Endpoint { get; }

    /// <summary>Requests that were not a JSON array of objects each carrying <c>traceId</c> and <c>id</c>.</summary>
    public int Rejected { get; private set; }

    /// <summary>Starts on a free loopback port.</summary>
    public static async Task<ZipkinCollector> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var collector = new ZipkinCollector(app, new Uri($"http://127.0.0.1:{port}/api/v2/spans"));
        app.MapPost("/api/v2/spans", async (HttpContext ctx) =>
        {
            if (ctx.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
            {
                collector.Rejected++;
                return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
            }
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
            if (doc.RootElement.ValueKind != JsonValueKind.Array
                || doc.RootElement.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.Object || !s.TryGetProperty("traceId", out _) || !s.TryGetProperty("id", out _)))
            {
                collector.Rejected++;
                return Results.BadRequest();
            }
            foreach (var span in doc.RootElement.EnumerateArray()) { collector._spans.Enqueue(span.Clone()); }
            return Results.Accepted();
        });
        await app.StartAsync();
        return collector;
    }

    /// <summary>The spans of one trace received so far.</summary>
    public IReadOnlyList<JsonElement> Trace(string traceId) =>
        [.. _spans.Where(s => s.GetProperty("traceId").GetString() == traceId)];

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
