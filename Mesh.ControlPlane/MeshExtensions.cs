using Infrastructure.Mesh.ControlPlane.Analysis;
using Infrastructure.Mesh.ControlPlane.Ca;
using Infrastructure.Mesh.ControlPlane.Config;
using Infrastructure.Mesh.ControlPlane.Debug;
using Infrastructure.Mesh.ControlPlane.Push;
using Infrastructure.Config.Client;
using Infrastructure.ServiceDefaults.Logging;
using Infrastructure.ServiceDefaults.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Infrastructure.Mesh.ControlPlane;

/// <summary>Registers the control plane's parts: resource sources, push server, CA, analyzers.</summary>
internal static class MeshExtensions
{
    /// <summary>Options (validated on start), the folder source, the store, the push server, the CA and the analyzers.</summary>
    public static WebApplicationBuilder AddMeshControlPlane(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MeshOptions>()
            .BindConfiguration(MeshOptions.Section)
            .ValidateSettings(MeshOptions.Section)
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ResourceStore>();
        builder.Services.AddSingleton<FolderSource>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FolderSource>());
        if (!string.IsNullOrEmpty(builder.Configuration["Spring:Cloud:Config:Uri"]))
        {
            // Spring Cloud Config as a second source, loaded and reloaded by the repository's Config.Client.
            builder.AddConfigServer(builder.CreateBootstrapLoggerFactory());
            builder.Services.AddSingleton<ConfigServerSource>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ConfigServerSource>());
        }
        builder.Services.AddSingleton<ProxyRegistry>();
        builder.Services.AddSingleton<PushMetrics>();
        builder.Services.AddSingleton<MeshCertificateAuthority>();
        builder.Services.AddHttpClient(AnalysisState.HttpClientName);
        builder.Services.AddSingleton<AnalysisState>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AnalysisState>());
        builder.Services.AddGrpc();
        builder.Services.AddHealthChecks().AddCheck<MeshHealthCheck>("mesh");
        return builder;
    }

    /// <summary>The gRPC services and the debug pages.</summary>
    public static WebApplication MapMeshControlPlane(this WebApplication app)
    {
        // Created at start-up, not on the first CSR: a root that cannot be written fails the start with its reason.
        _ = app.Services.GetRequiredService<MeshCertificateAuthority>();
        // Subscribed before the first stream so that no change is missed.
        _ = app.Services.GetRequiredService<ProxyRegistry>();
        _ = app.Services.GetRequiredService<PushMetrics>();
        app.MapGrpcService<MeshDiscoveryEndpoint>();
        app.MapGrpcService<CertificateEndpoint>();
        app.MapMeshDebug();
        return app;
    }
}

/// <summary><c>/actuator/health</c>'s <c>mesh</c> entry: resources in force, rejected, proxies connected.</summary>
internal sealed class MeshHealthCheck(ResourceStore store, ProxyRegistry proxies) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = store.Current;
        var data = new Dictionary<string, object>
        {
            ["resources"] = snapshot.Resources.Count,
            ["rejected"] = snapshot.Rejected.Count,
            ["proxies"] = proxies.Count,
            ["generation"] = snapshot.Generation,
        };
        // Rejected resources do not make the control plane unhealthy: the previous good set is still served.
        return Task.FromResult(HealthCheckResult.Healthy(snapshot.Rejected.Count == 0 ? "All resources accepted" : "Some resources rejected (see /debug/configz)", data));
    }
}
