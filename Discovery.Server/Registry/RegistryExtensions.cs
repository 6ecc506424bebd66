using Infrastructure.Discovery.Server.Replication;
using Infrastructure.ServiceDefaults.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Infrastructure.Discovery.Server.Registry;

/// <summary>Registers the in-memory Eureka registry.</summary>
internal static class RegistryExtensions
{
    /// <summary>Adds the registry, its response cache and timers, and validates <c>Eureka:Server</c> on start.</summary>
    public static IHostApplicationBuilder AddEurekaRegistry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EurekaServerOptions>()
            .BindConfiguration(EurekaServerOptions.Section)
            .ValidateDataAnnotations()
            .CheckSettings(EurekaServerSettingsCheck.Check)
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<InstanceRegistry>();
        builder.Services.AddSingleton<ResponseCache>();
        builder.Services.AddSingleton<RegistryMetrics>();
        builder.Services.TryAddSingleton<IPeerReplicator, NullPeerReplicator>();
        builder.Services.AddHostedService<RegistryMaintenanceService>();
        return builder;
    }
}
