using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Infrastructure.ServiceDefaults.Telemetry;

/// <summary>OpenTelemetry traces and metrics with W3C and B3 propagation; exporters chosen by configuration.</summary>
public static class TelemetryExtensions
{
    /// <summary>Name of the <see cref="System.Diagnostics.ActivitySource"/> and meter prefix our own code uses.</summary>
    public const string SourcePrefix = "Infrastructure.";

    /// <summary>
    /// Share of root traces sampled when <c>Tracing:SamplingProbability</c> is not set: Spring Boot's default for
    /// <c>management.tracing.sampling.probability</c>. An unsampled request still carries and forwards its trace context
    /// (flags <c>00</c>), so logs correlate and callers' decisions are obeyed downstream; it records no span data.
    /// </summary>
    public const double DefaultSamplingProbability = 0.1;

    /// <summary>
    /// Adds tracing (ASP.NET Core, HttpClient, Npgsql, Redis, our sources) and metrics (Prometheus scrape), plus
    /// Zipkin/OTLP export when configured; <c>Metrics:Enable:{prefix}</c> turns instruments off (<see cref="MetricsEnablement"/>).
    /// </summary>
    public static IHostApplicationBuilder AddDefaultTelemetry(this IHostApplicationBuilder builder)
    {
        var serviceName = ServiceIdentity.GetServiceName(builder);
        var zipkin = builder.Configuration["Tracing:Zipkin:Endpoint"];
        var otlp = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var ratio = builder.Configuration.GetValue("Tracing:SamplingProbability", DefaultSamplingProbability);
        TracePropagation.Install();

        // Spring Boot's management.tracing.enabled ("export and propagate traces"): off, no span is recorded, exported or
        // propagated. AddDefaultLogging turns off the hosting log category whose mere presence makes ASP.NET Core start
        // an activity per request, so there is no current activity for the runtime's HttpClient handler to propagate.
        var tracingEnabled = IsTracingEnabled(builder.Configuration);
        var enablement = MetricsEnablement.FromConfiguration(builder.Configuration);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: ServiceIdentity.InstanceId))
            .WithTracing(t =>
            {
                if (!tracingEnabled)
                {
                    return;
                }
                t.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)))
                 .AddSource(SourcePrefix + "*")
                 .AddAspNetCoreInstrumentation(o => o.Filter = ctx =>
                     !ctx.Request.Path.StartsWithSegments("/actuator", StringComparison.Ordinal))
                 .AddHttpClientInstrumentation()
                 // Npgsql traces through its own ActivitySource ("Npgsql"): every command of every data source.
                 .AddNpgsql()
                 // Traces the IConnectionMultiplexer registered in DI, if any; others come through RedisTracing.Track.
                 .AddRedisInstrumentation(o => o.FlushInterval = TimeSpan.FromSeconds(1))
                 .ConfigureRedisInstrumentation(RedisTracing.Attach);
                if (!string.IsNullOrWhiteSpace(zipkin))
                {
                    // Deprecated upstream in favour of OTLP, but Zipkin v2 is the wire format Sleuth-era stacks still run.
#pragma warning disable CS0618
                    t.AddZipkinExporter(o => o.Endpoint = new Uri(zipkin));
#pragma warning restore CS0618
                }
            })
            .WithMetrics(m =>
            {
                m.AddMeter(SourcePrefix + "*")
                 .AddAspNetCoreInstrumentation()
                 .AddHttpClientInstrumentation()
                 .AddRuntimeInstrumentation()
                 .AddNpgsqlInstrumentation()
                 .AddPrometheusExporter();
                if (!enablement.IsEmpty)
                {
                    m.AddView(instrument => enablement.IsEnabled(instrument.Name) ? null : MetricStreamConfiguration.Drop);
                }
            });
        if (!string.IsNullOrWhiteSpace(otlp))
        {
            otel.UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>
    /// <c>Tracing:Enabled</c> (default true). When true, OpenTelemetry's HttpClient instrumentation writes the trace headers
    /// (W3C and B3) on outgoing calls; when false no trace context is created or written (log events carry no trace id).
    /// </summary>
    public static bool IsTracingEnabled(IConfiguration configuration) => configuration.GetValue("Tracing:Enabled", true);
}
