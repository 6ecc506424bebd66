using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Infrastructure.ServiceDefaults.Logging;

/// <summary>Serilog wiring shared by every process.</summary>
public static class LoggingExtensions
{
    /// <summary>Human-readable console lines that still carry the trace and span ids.</summary>
    public const string ConsoleTemplate =
        "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {TraceId}{NewLine}{Exception}";

    /// <summary>Replaces the default logging providers with Serilog, configured from <c>Serilog</c> and <c>Logging:Json</c>.</summary>
    public static IHostApplicationBuilder AddDefaultLogging(this IHostApplicationBuilder builder)
    {
        var serviceName = ServiceIdentity.GetServiceName(builder);
        var json = builder.Configuration.GetValue("Logging:Json", false);
        builder.Services.AddSerilog((services, lc) =>
        {
            lc.MinimumLevel.Information()
              .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
              .MinimumLevel.Override("Microsoft.Extensions.Http", LogEventLevel.Warning)
              .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
              .ReadFrom.Configuration(builder.Configuration)
              .Enrich.FromLogContext()
              .Enrich.WithProperty("Service", serviceName)
              .Enrich.WithProperty("InstanceId", ServiceIdentity.InstanceId);
            if (json)
            {
                lc.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
            else
            {
                lc.WriteTo.Console(outputTemplate: ConsoleTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        return builder;
    }

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
        app.UseSerilogRequestLogging(o =>
        {
            o.GetLevel = (ctx, _, ex) =>
                ex is not null || ctx.Response.StatusCode >= 500 ? LogEventLevel.Error
                : ctx.Response.StatusCode < 400 && IsQuiet(ctx.Request, quiet) ? LogEventLevel.Verbose
                : LogEventLevel.Information;
        });
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
