using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Config.Client;

/// <summary>Adds Config.Server (Spring Cloud Config) as a configuration source that reloads on the server's refresh events.</summary>
public static class ConfigServerConfigurationExtensions
{
    /// <summary>
    /// Adds the provider with settings from <c>Spring:Cloud:Config:*</c> already in <paramref name="builder"/>.
    /// The environment and application names default to the host's (<c>environment</c> / <c>applicationName</c> keys) when not given.
    /// </summary>
    public static IConfigurationBuilder AddConfigServer(this IConfigurationBuilder builder, string? environmentName = null, string? applicationName = null, ILoggerFactory? loggerFactory = null)
    {
        var current = builder as IConfiguration ?? builder.Build();
        // Spring's spring.cloud.config.enabled: a service can run without its config server (tests, offline work).
        if (bool.TryParse(current["Spring:Cloud:Config:Enabled"], out var enabled) && !enabled)
        {
            return builder;
        }
        var settings = ConfigServerClientSettings.From(
            current,
            environmentName ?? current["environment"] ?? current[HostDefaults.EnvironmentKey] ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT"),
            applicationName ?? current[HostDefaults.ApplicationKey] ?? Assembly.GetEntryAssembly()?.GetName().Name);
        return builder.Add(new ConfigServerConfigurationSource(settings, loggerFactory));
    }

    /// <summary>Adds the provider using the host's environment and application names.</summary>
    public static TBuilder AddConfigServer<TBuilder>(this TBuilder builder, ILoggerFactory? loggerFactory = null) where TBuilder : IHostApplicationBuilder
    {
        builder.Configuration.AddConfigServer(builder.Environment.EnvironmentName, builder.Environment.ApplicationName, loggerFactory);
        return builder;
    }
}

/// <summary>The configuration source; one provider per build.</summary>
internal sealed class ConfigServerConfigurationSource(ConfigServerClientSettings settings, ILoggerFactory? loggerFactory) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new ConfigServerConfigurationProvider(settings, loggerFactory);
}
