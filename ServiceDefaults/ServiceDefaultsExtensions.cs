using Infrastructure.ServiceDefaults.Configuration;
using Infrastructure.ServiceDefaults.Health;
using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.ServiceDefaults.Logging;
using Infrastructure.ServiceDefaults.Options;
using Infrastructure.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Infrastructure.ServiceDefaults;

/// <summary>What every server and sample shares: logging, tracing, metrics, health, graceful shutdown.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Adds Spring-style environment variables, Serilog, OpenTelemetry (traces + metrics), health checks and shutdown defaults.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Configuration.AddSpringEnvironmentVariables();
        builder.AddDefaultLogging();
        builder.AddDefaultTelemetry();
        builder.Services.AddHealthChecks();
        builder.Services.SettingsWarnings();
        builder.Services.AddHostedService<ParentProcessWatchdog>();
        builder.Services.Configure<HostOptions>(o =>
        {
            // Long enough for a registry client to deregister and in-flight requests to drain.
            o.ShutdownTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("Shutdown:TimeoutSeconds", 15));
        });
        return builder;
    }

    /// <summary>Maps <c>/actuator/health</c>, <c>/actuator/info</c> and <c>/actuator/prometheus</c>, and request logging.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseDefaultRequestLogging();
        app.MapActuatorHealth();
        app.MapPrometheusScrapingEndpoint("/actuator/prometheus");
        return app;
    }
}
