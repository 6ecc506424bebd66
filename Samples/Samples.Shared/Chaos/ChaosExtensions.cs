using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Samples.Shared.Chaos;

/// <summary>The <c>/chaos</c> fault-injection switch of the sample instances: a lab tool, absent in production.</summary>
public static partial class ChaosExtensions
{
    /// <summary>Header carrying <c>Chaos:Token</c> when the switch is enabled outside Development.</summary>
    public const string TokenHeader = "X-Chaos-Token";

    private static readonly Meter Meter = new("Infrastructure.Samples.Chaos");
    private static readonly Counter<long> Injected = Meter.CreateCounter<long>("chaos_injected_faults", description: "Requests failed or delayed on purpose");

    /// <summary>
    /// Adds the chaos middleware (first in the pipeline) and maps <c>GET/POST/DELETE /chaos</c> — in Development, or
    /// elsewhere only when <c>Chaos:Enabled</c> is true, and then every call needs <c>Chaos:Token</c> in <see cref="TokenHeader"/>.
    /// Otherwise nothing is added: <c>/chaos</c> is a 404 and no request can be slowed or failed on purpose.
    /// </summary>
    public static WebApplication UseChaos(this WebApplication app)
    {
        var development = app.Environment.IsDevelopment();
        if (!development && !app.Configuration.GetValue("Chaos:Enabled", false))
        {
            return app;
        }
        var token = development ? null : app.Configuration["Chaos:Token"];
        if (!development && string.IsNullOrEmpty(token))
        {
            // An enabled switch that anyone could flip would let any caller take a production instance down.
            throw new InvalidOperationException($"Chaos:Enabled outside Development needs Chaos:Token (sent as {TokenHeader}).");
        }
        var holder = new ChaosHolder();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Chaos");
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

        var chaos = app.MapGroup("/chaos");
        if (token is not null)
        {
            var expected = Encoding.UTF8.GetBytes(token);
            chaos.AddEndpointFilter((ctx, next) =>
                CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(ctx.HttpContext.Request.Headers[TokenHeader].ToString()), expected)
                    ? next(ctx)
                    : ValueTask.FromResult<object?>(Results.Problem($"The chaos switch needs {TokenHeader}.", statusCode: StatusCodes.Status401Unauthorized)));
        }
        chaos.MapGet("", () => Results.Ok(holder.Current));
        chaos.MapPost("", (ChaosSettings settings) =>
        {
            if (settings.LatencyMs is < 0 or > 60_000 || settings.ErrorRatio is < 0 or > 1 || double.IsNaN(settings.ErrorRatio))
            {
                return Results.Problem("latencyMs must be 0..60000 and errorRatio 0..1.", statusCode: StatusCodes.Status400BadRequest);
            }
            holder.Current = settings;
            LogChaos(logger, settings.LatencyMs, settings.ErrorRatio, settings.Down);
            return Results.Ok(settings);
        });
        chaos.MapDelete("", () =>
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
