using Infrastructure.ServiceDefaults.Options;
using Infrastructure.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Infrastructure.Gateway.Dashboard;

/// <summary>The live dashboard (the Hystrix dashboard and Turbine roles): statistics, <c>/actuator/hystrix.stream</c>, <c>/dashboard</c>.</summary>
public static class DashboardExtensions
{
    private const string PageResource = "Infrastructure.Gateway.Dashboard.dashboard.html";

    /// <summary>Rolling-window statistics per route and instance (<c>Gateway:Dashboard</c>), fed by the gateway's request path.</summary>
    public static IHostApplicationBuilder AddGatewayDashboard(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.SectionName).ValidateSettings(DashboardOptions.SectionName).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DashboardMetrics>();
        services.AddSingleton<RegistryView>();
        services.AddSingleton<InstanceAttempts>();
        services.AddSingleton<HystrixStream>();
        services.AddSingleton<ChaosForwarder>();
        services.AddHttpClient(ChaosForwarder.ClientName)
            .ConfigureHttpClient((sp, c) => c.Timeout = TimeSpan.FromMilliseconds(sp.GetRequiredService<IOptions<DashboardOptions>>().Value.ChaosTimeoutMilliseconds));
        return builder;
    }

    /// <summary>
    /// <c>GET /actuator/hystrix.stream</c> and <c>GET /dashboard</c> (open, like Hystrix's), and
    /// <c>POST /dashboard/api/chaos/{app}/{instanceId}</c> (open in Development, the admin scope elsewhere). Nothing when disabled.
    /// </summary>
    public static WebApplication MapGatewayDashboard(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.Enabled)
        {
            return app;
        }
        app.MapGet("/actuator/hystrix.stream", (HttpContext context, HystrixStream stream) => stream.StreamAsync(context));
        var page = LoadPage();
        app.MapGet("/dashboard", (HttpContext context, SettingsWarnings warnings) =>
        {
            context.Response.Headers.CacheControl = "no-cache";
            return Results.Content(WithWarnings(page, warnings.All), "text/html; charset=utf-8");
        });
        var chaos = app.MapPost("/dashboard/api/chaos/{app}/{instanceId}",
            (HttpContext context, string app, string instanceId, ChaosForwarder forwarder) => forwarder.ForwardAsync(context, app, instanceId));
        if (!app.Environment.IsDevelopment())
        {
            chaos.RequireAuthorization(SecurityExtensions.AdminPolicy);
        }
        return app;
    }

    private static string LoadPage()
    {
        using var stream = typeof(DashboardExtensions).Assembly.GetManifestResourceStream(PageResource)
            ?? throw new InvalidOperationException($"embedded resource {PageResource} is missing");
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        return reader.ReadToEnd();
    }

    // Rendered on the server, so the notice is there without the page's script or its stream.
    private static string WithWarnings(string page, IReadOnlyList<SettingsWarning> warnings)
    {
        if (warnings.Count == 0)
        {
            return page;
        }
        var block = new System.Text.StringBuilder("<div id=\"settings-warnings\">Configuration warnings (also in the log and in /actuator/health):<ul>");
        foreach (var w in warnings)
        {
            block.Append("<li>").Append(System.Net.WebUtility.HtmlEncode(w.Text)).Append("</li>");
        }
        block.Append("</ul></div>");
        return page.Replace("<!--settings-warnings-->", block.ToString(), StringComparison.Ordinal);
    }
}
