using Infrastructure.Discovery.Client.Simple;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Infrastructure.Discovery.Client;

/// <summary>Registers the discovery client in a host.</summary>
public static class DiscoveryClientExtensions
{
    /// <summary>
    /// Adds an <see cref="IServiceInstanceProvider"/>: instances from configuration
    /// (<c>Spring:Cloud:Discovery:Client:Simple:Instances</c>) by default.
    /// </summary>
    public static IHostApplicationBuilder AddDiscoveryClient(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<IServiceInstanceProvider>(sp => new SimpleServiceInstanceProvider(builder.Configuration));
        return builder;
    }
}
