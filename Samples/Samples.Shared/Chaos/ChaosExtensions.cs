using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Samples.Shared.Chaos;

/// <summary>The <c>/chaos</c> fault-injection switch every sample instance has (Development only).</summary>
public static partial class ChaosExtensions
{
    private static readonly Meter Meter = new("Infrastructure.Samples.Chaos");
    private static readonly Counter<long> Injected = Meter.CreateCounter<long>("chaos_injected_faults", description: "Requests failed or delayed on purpose");

    /// <summary>Adds the chaos middleware (first in the pipeline) and maps <c>GET/POST/DELETE /chaos</c>.</summary>
    public static WebApplication UseChaos(this WebApplication app)
    {
        var holder = new ChaosHolder();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Chaos");
        var development = app.Environment.IsDevelopment();
        app.Use(async (ctx, next) =>
        {
            var s = holder.Current;
            if (!s.Active || ctx.Request.Path.StartsWithSegments("/chaos", StringComparison.OrdinalIgnoreCase))
            {
                await next(ctx);
                return;
            }
            if (s.Down)
            {
                Injected.Add(1, new KeyValuePair<string, object?>("fault", "down"));
                ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await ctx.Response.WriteAsJsonAsync(new { error = "chaos: instance is down" });
                return;
            }
            if (s.LatencyMs > 0)
            {
                Injected.Add(1, new KeyValuePair<string, object?>("fault", "latency"));
                await Task.Delay(s.LatencyMs, ctx.RequestAborted);
            }
            if (s.ErrorRatio > 0 && Random.Shared.NextDouble() < s.ErrorRatio
                && !ctx.Request.Path.StartsWithSegments("/actuator", StringComparison.OrdinalIgnoreCase))
            {
                Injected.Add(1, new KeyValuePair<string, object?>("fault", "error"));
                ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await ctx.Response.WriteAsJsonAsync(new { error = "chaos: injected error" });
                return;
            }
            await next(ctx);
        });

        app.MapGet("/chaos", () => Results.Ok(holder.Current));
        app.MapPost("/chaos", (ChaosSettings settings) =>
        {
            if (!development)
            {
                return Results.Problem("Fault injection is refused outside the Development environment.", statusCode: StatusCodes.Status403Forbidden);
            }
            if (settings.LatencyMs is < 0 or > 60_000 || settings.ErrorRatio is < 0 or > 1 || double.IsNaN(settings.ErrorRatio))
            {
                return Results.Problem("latencyMs must be 0..60000 and errorRatio 0..1.", statusCode: StatusCodes.Status400BadRequest);
            }
            holder.Current = settings;
            LogChaos(logger, settings.LatencyMs, settings.ErrorRatio, settings.Down);
            return Results.Ok(settings);
        });
        app.MapDelete("/chaos", () =>
        {
            holder.Current = new ChaosSettings();
            LogChaos(logger, 0, 0, false);
            return Results.Ok(holder.Current);
        });
        return app;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Chaos set: latency {LatencyMs} ms, error ratio {ErrorRatio}, down {Down}")]
    private static partial void LogChaos(ILogger logger, int latencyMs, double errorRatio, bool down);

    private sealed class ChaosHolder
    {
        private volatile ChaosSettings _current = new();

        public ChaosSettings Current
        {
            get => _current;
            set => _current = value;
        }
    }
}
