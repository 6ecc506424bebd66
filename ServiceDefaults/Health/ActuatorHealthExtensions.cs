using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Infrastructure.ServiceDefaults.Health;

/// <summary>Spring Boot actuator-shaped health endpoints.</summary>
public static class ActuatorHealthExtensions
{
    /// <summary>Maps <c>/actuator/health</c> (all checks), <c>/actuator/health/liveness</c> and <c>/actuator/health/readiness</c>.</summary>
    public static WebApplication MapActuatorHealth(this WebApplication app)
    {
        app.MapHealthChecks("/actuator/health", new HealthCheckOptions { ResponseWriter = WriteSpringHealth, ResultStatusCodes = StatusCodes });
        app.MapHealthChecks("/actuator/health/liveness", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteSpringHealth, ResultStatusCodes = StatusCodes });
        app.MapHealthChecks("/actuator/health/readiness", new HealthCheckOptions { ResponseWriter = WriteSpringHealth, ResultStatusCodes = StatusCodes });
        return app;
    }

    private static readonly Dictionary<HealthStatus, int> StatusCodes = new()
    {
        [HealthStatus.Healthy] = Microsoft.AspNetCore.Http.StatusCodes.Status200OK,
        // Spring reports a degraded-but-serving component as UP with details; keep 200 so load balancers keep sending.
        [HealthStatus.Degraded] = Microsoft.AspNetCore.Http.StatusCodes.Status200OK,
        [HealthStatus.Unhealthy] = Microsoft.AspNetCore.Http.StatusCodes.Status503ServiceUnavailable,
    };

    /// <summary>Spring's status words for a health status.</summary>
    public static string ToSpringStatus(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "UP",
        HealthStatus.Degraded => "UP",
        _ => "DOWN",
    };

    private static Task WriteSpringHealth(HttpContext ctx, HealthReport report)
    {
        ctx.Response.ContentType = "application/vnd.spring-boot.actuator.v3+json";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status", ToSpringStatus(report.Status));
            if (report.Entries.Count > 0)
            {
                w.WriteStartObject("components");
                foreach (var (name, entry) in report.Entries)
                {
                    w.WriteStartObject(name);
                    w.WriteString("status", ToSpringStatus(entry.Status));
                    if (entry.Description is not null || entry.Data.Count > 0)
                    {
                        w.WriteStartObject("details");
                        if (entry.Description is not null)
                        {
                            w.WriteString("description", entry.Description);
                        }
                        foreach (var (k, v) in entry.Data)
                        {
                            w.WritePropertyName(k);
                            JsonSerializer.Serialize(w, v, v?.GetType() ?? typeof(object));
                        }
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return ctx.Response.Body.WriteAsync(buffer.ToArray()).AsTask();
    }
}
