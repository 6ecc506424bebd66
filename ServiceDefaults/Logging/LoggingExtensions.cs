using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using Serilog;
using Serilog.Events;
using Infrastructure.ServiceDefaults.Telemetry;
using Serilog.Formatting.Compact;
using Serilog.Sinks.OpenTelemetry;

namespace Infrastructure.ServiceDefaults.Logging;

/// <summary>Serilog wiring shared by every process.</summary>
public static class LoggingExtensions
{
    /// <summary>Human-readable console lines that still carry the trace and span ids.</summary>
    public const string ConsoleTemplate =
        "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {TraceId}{NewLine}{Exception}";

    /// <summary>
    /// Replaces the default logging providers with Serilog, configured from <c>Serilog</c> and <c>Logging:Json</c>; ships
    /// to OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set and to Seq when <c>Logging:Seq:ServerUrl</c> is set.
    /// </summary>
    public static IHostApplicationBuilder AddDefaultLogging(this IHostApplicationBuilder builder)
    {
        var serviceName = ServiceIdentity.GetServiceName(builder);
        var configuration = builder.Configuration;
        var json = configuration.GetValue("Logging:Json", false);
        var otlp = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var seq = configuration["Logging:Seq:ServerUrl"];
        if (!string.IsNullOrWhiteSpace(seq) && !Uri.TryCreate(seq, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException($"Logging:Seq:ServerUrl '{seq}' is not an absolute URL.");
        }
        builder.Services.AddSerilog((services, lc) =>
        {
            lc.ServiceLevelsAndIdentity(configuration, serviceName)
              .Enrich.With(new ConsumerEnricher())
              .Filter.ByExcluding(Lifetime.StartupFailure.IsHostStartFailure);
            if (!TelemetryExtensions.IsTracingEnabled(configuration))
            {
                // Spring's management.tracing.enabled=false: no trace context at all. ASP.NET Core starts a request
                // activity (a trace id, two async-local writes) and opens a logging scope for every request whenever this
                // category is enabled at Critical, which Serilog cannot express except by turning it off.
                lc.MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LevelAlias.Off);
            }
            lc.ServiceConsole(json);
            if (!string.IsNullOrWhiteSpace(otlp))
            {
                lc.WriteTo.OpenTelemetry(o => ConfigureOtlp(o, serviceName), key => configuration[key]);
            }
            if (!string.IsNullOrWhiteSpace(seq))
            {
                lc.WriteTo.Seq(seq, apiKey: configuration["Logging:Seq:ApiKey"], messageHandler: UntracedHandler());
            }
        });
        // Properties set through IDiagnosticContext land on our request line (RequestLogMiddleware), not Serilog's.
        builder.Services.Replace(ServiceDescriptor.Singleton<IDiagnosticContext, AmbientRequestDiagnosticContext>());
        return builder;
    }

    /// <summary>The levels (ours, then the <c>Serilog</c> section's) and the properties every line of a service carries.</summary>
    internal static LoggerConfiguration ServiceLevelsAndIdentity(this LoggerConfiguration lc, IConfiguration configuration, string serviceName) =>
        lc.MinimumLevel.Information()
          .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
          .MinimumLevel.Override("Microsoft.Extensions.Http", LogEventLevel.Warning)
          .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
          .ReadFrom.Configuration(configuration)
          .Enrich.FromLogContext()
          .Enrich.WithProperty("Service", serviceName)
          .Enrich.WithProperty("InstanceId", ServiceIdentity.InstanceId);

    /// <summary>The console sink: <see cref="ConsoleTemplate"/>, or compact JSON when <c>Logging:Json</c> is set.</summary>
    internal static LoggerConfiguration ServiceConsole(this LoggerConfiguration lc, bool json) =>
        json
            // CLEF: @t, @m, @l, @tr (trace id), @sp (span id) plus every property, one object per line.
            ? lc.WriteTo.Console(new RenderedCompactJsonFormatter())
            : lc.WriteTo.Console(outputTemplate: ConsoleTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);

    private static void ConfigureOtlp(BatchedOpenTelemetrySinkOptions o, string serviceName)
    {
        // The .NET OpenTelemetry SDK defaults to gRPC; match it so traces and logs go to the same port unless
        // OTEL_EXPORTER_OTLP_PROTOCOL (applied by the sink after this callback) says http/protobuf.
        o.Protocol = OtlpProtocol.Grpc;
        o.ResourceAttributes = new Dictionary<string, object>
        {
            ["service.name"] = serviceName,
            ["service.instance.id"] = ServiceIdentity.InstanceId,
        };
        o.IncludedData = IncludedData.TraceIdField | IncludedData.SpanIdField | IncludedData.MessageTemplateTextAttribute
            | IncludedData.SourceContextAttribute | IncludedData.SpecRequiredResourceAttributes;
        o.HttpMessageHandler = UntracedHandler();
        o.OnBeginSuppressInstrumentation = SuppressInstrumentationScope.Begin;
    }

    // Shipping a log batch must not itself become a traced HTTP call (and a log line about it).
    private static SocketsHttpHandler UntracedHandler() => new() { ActivityHeadersPropagator = null };

    /// <summary>
    /// One structured line per request. Successful calls to <c>/actuator</c> and to the paths listed in
    /// <c>Logging:RequestLogging:QuietPaths</c> (entries like <c>"PUT /eureka/apps"</c> or <c>"/health"</c>) are
    /// logged at Verbose, so heartbeats and polling do not drown the lines a person wants to read.
    /// </summary>
    public static WebApplication UseDefaultRequestLogging(this WebApplication app)
    {
        var quiet = new List<(string? Method, PathString Prefix)> { (null, "/actuator") };
        foreach (var entry in app.Configuration.GetSection("Logging:RequestLogging:QuietPaths").Get<string[]>() ?? [])
        {
            var parts = entry.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            quiet.Add(parts.Length == 2 ? (parts[0], new PathString(parts[1])) : (null, new PathString(parts[0])));
        }
        var enrichers = app.Services.GetServices<IRequestLogEnricher>().ToArray();
        // Serilog.AspNetCore's source context, so existing "MinimumLevel:Override" entries still apply.
        var logger = (app.Services.GetService<Serilog.ILogger>() ?? Log.Logger)
            .ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Serilog.AspNetCore.RequestLoggingMiddleware");
        Func<HttpContext, double, Exception?, LogEventLevel> getLevel = (ctx, _, ex) =>
            ex is not null || ctx.Response.StatusCode >= 500 ? LogEventLevel.Error
            : ctx.Response.StatusCode < 400 && IsQuiet(ctx.Request, quiet) ? LogEventLevel.Verbose
            : LogEventLevel.Information;
        app.UseMiddleware<RequestLogMiddleware>(logger, enrichers, getLevel);
        return app;
    }

    private static bool IsQuiet(HttpRequest request, List<(string? Method, PathString Prefix)> quiet)
    {
        foreach (var (method, prefix) in quiet)
        {
            if ((method is null || HttpMethods.Equals(method, request.Method))
                && request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
