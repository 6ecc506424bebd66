using Infrastructure.ServiceDefaults.Options;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Forwarding;
using Infrastructure.Gateway.Resilience;
using Infrastructure.Gateway.Routing;
using Infrastructure.Gateway.Security;
using Infrastructure.Gateway.Telemetry;
using Infrastructure.ServiceDefaults.Logging;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Infrastructure.Gateway;

/// <summary>Registers and mounts the gateway.</summary>
public static class GatewayExtensions
{
    /// <summary>
    /// The gateway's configuration defaults, below every other source (appsettings, environment, command line all win).
    /// Call before <c>AddServiceDefaults</c>, which reads them.
    /// </summary>
    /// <remarks>
    /// Metrics a proxy would otherwise pay for on every request and that say nothing <c>gateway.*</c> does not:
    /// <c>http.client.*</c> repeats <c>gateway.request.duration</c> per instance, <c>aspnetcore.routing</c> counts the
    /// endpoint-routing pass that only actuator endpoints use, and <c>aspnetcore.memory_pool</c> counts every buffer
    /// Kestrel rents. Each is back with <c>Metrics:Enable:{name}=true</c>.
    /// </remarks>
    public static IHostApplicationBuilder AddGatewayDefaults(this IHostApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Metrics:Enable:http.client"] = "false",
                ["Metrics:Enable:aspnetcore.routing"] = "false",
                ["Metrics:Enable:aspnetcore.memory_pool"] = "false",
            },
        });
        return builder;
    }

    /// <summary>
    /// Routing (<c>Gateway:Routes</c>), forwarding, the Ribbon-style load balancer (<c>Gateway:LoadBalancer</c>), per-route
    /// resilience pipelines, rate limiting, metrics and tracing. Needs <c>AddDiscoveryClient()</c> for <c>lb://</c> routes.
    /// </summary>
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateSettings(GatewayOptions.SectionName)
            .CheckSettings(GatewaySettingsCheck.Check)
            .ValidateOnStart();
        services.AddLoadBalancer("Gateway:LoadBalancer");
        services.AddOptions<LoadBalancerOptions>().ValidateSettings("Gateway:LoadBalancer").CheckSettings(GatewaySettingsCheck.CheckLoadBalancer);
        // Lower tail latency for a proxy whose request path never blocks (machine-notes: p99 about 4× lower with
        // DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1); off by default because blocking code would stall the sockets.
        services.Configure<SocketTransportOptions>(o =>
            o.UnsafePreferInlineScheduling = builder.Configuration.GetValue("Gateway:Kestrel:UnsafePreferInlineScheduling", false));
        services.Configure<KestrelServerOptions>(o => KestrelLimits.Bind(builder.Configuration, o.Limits));
        KestrelLimits.RefuseBareLineFeeds();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GatewayTelemetry>();
        services.AddSingleton<ProxyHttpClient>();
        services.AddSingleton<Proxy.Forwarding.HttpForwarder>();
        services.AddSingleton<GatewayTransformer>();
        services.AddSingleton<RouteForwarder>();
        // The Gateway's destinations are judged by Ribbon's blackout (Gateway:LoadBalancer), not by Envoy's outlier detection.
        services.AddSingleton(sp => new Proxy.Selection.DestinationSelector(sp.GetRequiredService<LoadBalancerStats>()));
        services.AddSingleton<RoutePipelineFactory>();
        services.AddSingleton<GatewayFilterFactory>();
        services.AddSingleton<RouteFactory>();
        services.AddSingleton<RouteLocator>();
        services.AddSingleton<GatewayMiddleware>();
        // Routes load while the host starts, before Kestrel listens: a bad definition fails the start inside Run, where it
        // is reported as one line (StartupFailure), and no request ever meets an empty table.
        services.AddHostedService<RouteTableLoader>();
        services.AddSingleton<IRequestLogEnricher, AccessLogEnricher>();
        services.AddSingleton<IRateLimiter>(sp =>
        {
            var redis = sp.GetRequiredService<IOptions<GatewayOptions>>().Value.RateLimiter.Redis;
            return string.IsNullOrWhiteSpace(redis)
                ? new InMemoryRateLimiter(sp.GetRequiredService<TimeProvider>())
                : new RedisRateLimiter(redis);
        });
        return builder;
    }

    /// <summary>Proxies every request that no endpoint (actuator, health) claimed; the routes load as the host starts.</summary>
    public static WebApplication UseGateway(this WebApplication app)
    {
        // Resolved at the first request, not here: building it reads the validated options, and a bad setting must fail the
        // start inside Run (one readable line) rather than while the pipeline is assembled.
        GatewayMiddleware? gateway = null;
        // Routing first, so the actuator endpoints are recognised; then the proxy, ahead of the authentication and
        // authorization middleware: routes authenticate only when they need to (RouteScopeAuthorizer), instead of every
        // proxied request paying for the default scheme's handler.
        app.UseRouting();
        app.Use(next => context => context.GetEndpoint() is null
            ? (gateway ??= app.Services.GetRequiredService<GatewayMiddleware>()).InvokeAsync(context)
            : next(context));
        if (app.Services.GetService<IAuthenticationSchemeProvider>() is not null)
        {
            app.UseAuthentication();
        }
        if (app.Services.GetService<IAuthorizationService>() is not null)
        {
            app.UseAuthorization();
        }
        return app;
    }
}
