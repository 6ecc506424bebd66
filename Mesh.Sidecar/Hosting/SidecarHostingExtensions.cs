using System.Globalization;
using System.Net;
using Infrastructure.Discovery.Client;
using Infrastructure.Discovery.Client.Eureka.Registration;
using Infrastructure.Mesh.Sidecar.Certificates;
using Infrastructure.Mesh.Sidecar.Forwarding;
using Infrastructure.Mesh.Sidecar.Inbound;
using Infrastructure.Mesh.Sidecar.Outbound;
using Infrastructure.Mesh.Sidecar.Registration;
using Infrastructure.Mesh.Sidecar.Telemetry;
using Infrastructure.Mesh.Sidecar.Xds;
using Infrastructure.ServiceDefaults.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Instrumentation.AspNetCore;

namespace Infrastructure.Mesh.Sidecar.Hosting;

/// <summary>Wires the sidecar's parts into the host.</summary>
internal static class SidecarHostingExtensions
{
    /// <summary>
    /// The sidecar's settings from its flags, the registry client set up to register the app (not the sidecar) with the
    /// inbound port, the listeners on loopback, and the parts.
    /// </summary>
    /// <returns>The problems with the settings (empty: the builder is set up; otherwise nothing more was done).</returns>
    public static List<string> AddSidecar(this WebApplicationBuilder builder, SidecarCommandLine line)
    {
        builder.Configuration.AddInMemoryCollection(line.Settings);
        var o = builder.Configuration.GetSection(SidecarOptions.SectionName).Get<SidecarOptions>() ?? new SidecarOptions();
        if (o.Problems() is { Count: > 0 } problems)
        {
            return problems;
        }
        var app = o.AppName.ToLowerInvariant();
        var inbound = o.InboundPort.ToString(CultureInfo.InvariantCulture);
        var derived = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Eureka:Instance:AppName"] = app,
            ["Eureka:Instance:Port"] = inbound,
            ["Eureka:Instance:HostName"] = "127.0.0.1",
            ["Eureka:Instance:IpAddress"] = "127.0.0.1",
            ["Eureka:Instance:InstanceId"] = $"127.0.0.1:{app}:{inbound}",
            ["Eureka:Instance:HealthCheckUrlPath"] = o.AppHealthPath ?? "/",
            // The sidecar registers the app itself (AppRegistration), with the app's health as its status.
            ["Eureka:Client:ShouldRegisterWithEureka"] = "false",
        };
        foreach (var (k, v) in o.Metadata)
        {
            derived[$"Eureka:Instance:MetadataMap:{k}"] = v;
        }
        if (builder.Configuration["Eureka:Client:RegistryFetchIntervalSeconds"] is null)
        {
            // Endpoints change under a mesh's feet (splits, ejections, restarts): look more often than Eureka's 30 s.
            derived["Eureka:Client:RegistryFetchIntervalSeconds"] = "5";
        }
        if (builder.Configuration["Spring:Application:Name"] is null && app.Length > 0)
        {
            // The sidecar's spans and logs carry the workload's name, as Envoy's do.
            derived["Spring:Application:Name"] = app;
        }
        builder.Configuration.AddInMemoryCollection(derived);

        builder.Services.AddOptions<SidecarOptions>()
            .BindConfiguration(SidecarOptions.SectionName)
            .ValidateSettings(SidecarOptions.SectionName)
            .Validate(s => s.PortsDiffer(), SidecarOptions.PortsMessage)
            .ValidateOnStart();
        builder.AddDiscoveryClient();
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new AppCommand(line.AppCommand));
        services.AddSingleton<InstanceInfoFactory>();
        services.AddSingleton<WorkloadIdentity>();
        services.AddSingleton<ControlPlaneChannel>();
        services.AddSingleton<ConfigStore>();
        services.AddSingleton<InFlight>();
        services.AddSingleton<AppHealth>();
        services.AddSingleton<AppRegistration>();
        services.AddSingleton<MeshTelemetry>();
        services.AddSingleton<UpstreamClients>();
        services.AddSingleton<DestinationPools>();
        services.AddSingleton<MeshForwarder>();
        services.AddSingleton<InboundHandler>();
        services.AddSingleton<OutboundHandler>();
        services.AddSingleton<WorkloadCertificates>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkloadCertificates>());
        services.AddSingleton<XdsClient>();
        services.AddHostedService(sp => sp.GetRequiredService<XdsClient>());
        services.AddSingleton<SidecarLifecycle>();
        services.AddHostedService(sp => sp.GetRequiredService<SidecarLifecycle>());
        services.Configure<HostOptions>(h => h.ShutdownTimeout = o.DrainDuration + TimeSpan.FromSeconds(5));
        services.PostConfigure<AspNetCoreTraceInstrumentationOptions>(t =>
        {
            // The inbound request is the server span; the outbound port's span is the sidecar's client span.
            var filter = t.Filter;
            t.Filter = context => context.Connection.LocalPort == o.InboundPort && (filter?.Invoke(context) ?? true);
        });

        builder.WebHost.ConfigureKestrel(k =>
        {
            // Absolute-form targets (the app using the sidecar as HTTP_PROXY) name the service; take it as the Host.
            k.AllowHostHeaderOverride = true;
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, o.AdminPort);
            k.Listen(IPAddress.Loopback, o.OutboundPort);
            k.Listen(IPAddress.Loopback, o.InboundPort, listen => InboundListener.Configure(listen, k.ApplicationServices));
        });
        return [];
    }

    /// <summary>Sends each port's traffic to its part; admin and actuator endpoints answer on the admin port only.</summary>
    public static WebApplication MapSidecar(this WebApplication app)
    {
        var o = app.Services.GetRequiredService<IOptions<SidecarOptions>>().Value;
        var inbound = app.Services.GetRequiredService<InboundHandler>();
        var outbound = app.Services.GetRequiredService<OutboundHandler>();
        app.MapWhen(c => c.Connection.LocalPort == o.InboundPort, b => b.Run(inbound.HandleAsync));
        app.MapWhen(c => c.Connection.LocalPort == o.OutboundPort, b => b.Run(outbound.HandleAsync));
        app.UseRouting();
        return app;
    }
}
