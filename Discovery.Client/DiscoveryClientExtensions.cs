using Infrastructure.Discovery.Client.Eureka;
using Infrastructure.Discovery.Client.Eureka.Registration;
using Infrastructure.Discovery.Client.Eureka.Registry;
using Infrastructure.Discovery.Client.Eureka.Transport;
using Infrastructure.Discovery.Client.ServiceDiscovery;
using Infrastructure.Discovery.Client.Simple;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.ServiceDiscovery;

namespace Infrastructure.Discovery.Client;

/// <summary>Registers the discovery client in a host.</summary>
public static class DiscoveryClientExtensions
{
    /// <summary>
    /// Adds an <see cref="IServiceInstanceProvider"/> and plugs it into Microsoft.Extensions.ServiceDiscovery.
    /// With <c>Eureka:Client:ServiceUrl</c> (or <c>Eureka:Client:ServiceUrl:DefaultZone</c>) set, the application
    /// registers with Eureka, renews and deregisters, and resolves services from a local copy of the registry;
    /// otherwise instances come from configuration (<c>Spring:Cloud:Discovery:Client:Simple:Instances</c>).
    /// </summary>
    public static IHostApplicationBuilder AddDiscoveryClient(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.AddOptions<EurekaClientOptions>()
            .BindConfiguration(EurekaClientOptions.SectionName)
            .PostConfigure<IConfiguration>(ApplyServiceUrls)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EurekaClientOptions>, EurekaClientOptionsValidator>());
        services.AddOptions<EurekaInstanceOptions>()
            .BindConfiguration(EurekaInstanceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EurekaInstanceOptions>, EurekaInstanceOptionsValidator>());

        // Which parts run is decided once, from the configuration present when the host is built.
        var client = configuration.GetSection(EurekaClientOptions.SectionName).Get<EurekaClientOptions>() ?? new EurekaClientOptions();
        ApplyServiceUrls(client, configuration);
        if (client.IsActive && !services.Any(d => d.ServiceType == typeof(EurekaHttpClient)))
        {
            services.AddSingleton<EurekaHttpClient>();
            services.AddSingleton(new EurekaAppName(FirstNonEmpty(
                configuration[$"{EurekaInstanceOptions.SectionName}:AppName"],
                configuration["Spring:Application:Name"],
                builder.Environment.ApplicationName) ?? "unknown"));
            if (client.ShouldRegisterWithEureka)
            {
                services.TryAddSingleton(TimeProvider.System);
                services.AddSingleton<InstanceInfoFactory>();
                services.AddSingleton<EurekaRegistrationService>();
                services.AddHostedService(sp => sp.GetRequiredService<EurekaRegistrationService>());
            }
            if (client.ShouldFetchRegistry)
            {
                services.AddSingleton<LocalRegistry>();
                services.AddSingleton<RegistryFetchService>();
                services.AddHostedService(sp => sp.GetRequiredService<RegistryFetchService>());
                services.TryAddSingleton<IServiceInstanceProvider, EurekaServiceInstanceProvider>();
            }
            services.AddHealthChecks().AddCheck<EurekaHealthCheck>("eureka");
        }
        services.TryAddSingleton<IServiceInstanceProvider>(_ => new SimpleServiceInstanceProvider(configuration));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceEndpointProviderFactory, DiscoveryServiceEndpointProviderFactory>());
        return builder;
    }

    private static void ApplyServiceUrls(EurekaClientOptions options, IConfiguration configuration)
    {
        // Steeltoe's flat key first, then Spring's eureka.client.serviceUrl.defaultZone.
        var value = FirstNonEmpty(
            configuration[$"{EurekaClientOptions.SectionName}:ServiceUrl"],
            configuration[$"{EurekaClientOptions.SectionName}:ServiceUrl:DefaultZone"]);
        options.ServiceUrl = value;
        var invalid = new List<string>();
        options.ServiceUrls = EurekaClientOptions.ParseServiceUrls(value, invalid);
        options.InvalidServiceUrls = invalid;
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
