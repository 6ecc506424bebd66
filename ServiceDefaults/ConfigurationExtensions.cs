using Microsoft.Extensions.Configuration;

namespace Infrastructure.ServiceDefaults;

/// <summary>Small helpers over <see cref="IConfiguration"/> used by ServiceDefaults.</summary>
internal static class ConfigurationExtensions
{
    public static T GetValue<T>(this IConfiguration configuration, string key, T defaultValue)
        => ConfigurationBinder.GetValue(configuration, key, defaultValue)!;
}
