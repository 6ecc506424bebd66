using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Gateway.Tests.Dashboard;

/// <summary>A Kestrel backend with the samples' <c>POST /chaos</c> contract: it keeps the last body and echoes it back.</summary>
internal sealed class ChaosBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ChaosBackend(WebApplication app, int port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}";
    }

    public string Url { get; }

    public string? LastChaosBody { get; private set; }

    public static async Task<ChaosBackend> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var backend = new ChaosBackend(app, port);
        app.MapPost("/chaos", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            backend.LastChaosBody = await reader.ReadToEndAsync();
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(backend.LastChaosBody);
        });
        app.MapGet("/", () => "ok");
        await app.StartAsync();
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
