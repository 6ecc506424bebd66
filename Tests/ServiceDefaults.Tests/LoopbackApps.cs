using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>Small Kestrel apps on loopback ports for the telemetry tests.</summary>
internal static class LoopbackApps
{
    /// <summary>An app with <c>AddServiceDefaults</c> on a free loopback port, configured from <paramref name="config"/>.</summary>
    public static async Task<WebApplication> StartServiceAsync(
        IDictionary<string, string?> config,
        Action<WebApplication> map,
        Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(config);
        builder.AddServiceDefaults();
        builder.Services.AddHttpClient();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        map(app);
        await app.StartAsync();
        return app;
    }

    /// <summary>A bare app (no ServiceDefaults, no logging) on a free loopback port.</summary>
    public static async Task<WebApplication> StartBareAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    /// <summary>The first address the app listens on.</summary>
    public static Uri BaseUri(this WebApplication app) => new(app.Urls.First().TrimEnd('/') + "/");

    /// <summary>
    /// An HttpClient that neither creates an activity nor injects trace headers, so the test alone decides which
    /// propagation headers a request carries (the in-process instrumentation would otherwise add <c>traceparent</c>).
    /// </summary>
    public static HttpClient UninstrumentedClient() =>
        new(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Records every request's headers on a bare app at <c>POST|GET /{**path}</c>.</summary>
    public sealed class HeaderRecorder
    {
        public ConcurrentQueue<IHeaderDictionary> Requests { get; } = new();

        public void Map(WebApplication app) => app.Map("/{**path}", (HttpContext ctx) =>
        {
            Requests.Enqueue(new HeaderDictionary(ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value)));
            return Results.Ok();
        });
    }
}
