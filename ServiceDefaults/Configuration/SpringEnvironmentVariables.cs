using System.Collections;
using Microsoft.Extensions.Configuration;

namespace Infrastructure.ServiceDefaults.Configuration;

/// <summary>
/// Environment variables as Spring Boot operators write them (relaxed binding: <c>EUREKA_CLIENT_SERVICEURL_DEFAULTZONE</c>,
/// <c>SPRING_CLOUD_GATEWAY_ROUTES_0_URI</c>, <c>SPRING_CLOUD_CONFIG_SERVER_GIT_URI</c>), read as the keys our servers use.
/// </summary>
/// <remarks>
/// .NET splits environment variable names on <c>__</c> only, so a Spring-style name would bind to nothing. Spring's rule is
/// followed: upper case, <c>_</c> for <c>.</c>, dashes dropped (our property names are Spring's without dashes, and keys
/// are case-insensitive), a numeric part is a list index. Spring property paths that live under another section here are
/// mapped (<c>spring.cloud.gateway.*</c> → <c>Gateway:*</c>, <c>spring.cloud.config.server.*</c> → <c>ConfigServer:*</c>,
/// <c>encrypt.*</c> → <c>ConfigServer:Encrypt:*</c>), in both spellings (<c>SPRING_CLOUD_GATEWAY_ROUTES_0_ID</c> and
/// <c>Spring__Cloud__Gateway__Routes__0__Id</c>).
/// </remarks>
public static class SpringEnvironmentVariables
{
    // Spring property prefixes (lower case, ':'-separated) and where they live in our configuration.
    private static readonly (string Spring, string Ours)[] Aliases =
    [
        ("spring:cloud:gateway:", "Gateway:"),
        ("spring:cloud:config:server:", "ConfigServer:"),
        ("encrypt:", "ConfigServer:Encrypt:"),
    ];

    // Single-underscore names are taken only under these prefixes, so unrelated variables (PATH, HOME...) stay out.
    private static readonly string[] RelaxedPrefixes = ["EUREKA_", "SPRING_", "ENCRYPT_", "MANAGEMENT_"];

    /// <summary>Adds the Spring-style variables as a source of their own, after those already added.</summary>
    public static IConfigurationBuilder AddSpringEnvironmentVariables(this IConfigurationBuilder builder, IDictionary? environment = null)
    {
        // Appended rather than inserted beside .NET's variables: inserting makes a ConfigurationManager reload every source,
        // which for a service would fetch its configuration from Config.Server a second time.
        if (!builder.Sources.OfType<Source>().Any())
        {
            builder.Add(new Source(environment));
        }
        return builder;
    }

    /// <summary>The configuration key a Spring-style variable name stands for, or null when it is not one.</summary>
    public static string? KeyFor(string name)
    {
        string path;
        if (name.Contains("__", StringComparison.Ordinal))
        {
            // .NET's own spelling: already bound by .NET under the Spring path; only the aliased paths need a second key.
            path = name.Replace("__", ":", StringComparison.Ordinal);
            var alias = Alias(path);
            return alias == path ? null : alias;
        }
        if (!RelaxedPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)) || name.EndsWith('_') || name.Contains("__", StringComparison.Ordinal))
        {
            return null;
        }
        path = name.Replace('_', ':');
        return Alias(path);
    }

    // Spring keys whose last parts are one property of ours.
    private static readonly (string Spring, string Ours)[] ExactAliases =
    [
        ("spring:cloud:gateway:forwarded:enabled", "Gateway:ForwardedEnabled"),
        ("spring:cloud:gateway:xforwarded:enabled", "Gateway:XForwardedEnabled"),
        ("spring:cloud:gateway:x-forwarded:enabled", "Gateway:XForwardedEnabled"),
        ("management:tracing:sampling:probability", "Tracing:SamplingProbability"),
        ("management:tracing:enabled", "Tracing:Enabled"),
    ];

    private static string Alias(string path)
    {
        foreach (var (spring, ours) in ExactAliases)
        {
            if (path.Equals(spring, StringComparison.OrdinalIgnoreCase))
            {
                return ours;
            }
        }
        foreach (var (spring, ours) in Aliases)
        {
            if (path.StartsWith(spring, StringComparison.OrdinalIgnoreCase))
            {
                return ours + path[spring.Length..];
            }
        }
        return path;
    }

    private sealed class Source(IDictionary? environment) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(environment);
    }

    private sealed class Provider(IDictionary? environment) : ConfigurationProvider
    {
        public override void Load()
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry e in environment ?? Environment.GetEnvironmentVariables())
            {
                if (e.Key is string name && KeyFor(name) is { } key)
                {
                    data[key] = e.Value as string;
                }
            }
            Data = data;
        }
    }
}
