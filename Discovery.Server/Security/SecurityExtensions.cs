using Infrastructure.ServiceDefaults.Options;
using Infrastructure.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Security;

/// <summary>Registers the optional HTTP Basic protection of the registry.</summary>
internal static class SecurityExtensions
{
    /// <summary>Binds and validates <c>Eureka:Server:Security</c> and <c>Spring:Security:User</c> on start.</summary>
    public static IHostApplicationBuilder AddRegistrySecurity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SpringSecurityUserOptions>().BindConfiguration(SpringSecurityUserOptions.Section);
        builder.Services.AddOptions<RegistrySecurityOptions>()
            .BindConfiguration(RegistrySecurityOptions.Section)
            .ValidateSettings(RegistrySecurityOptions.Section)
            // The messages name the keys, never the values: a password must not reach the start-up failure line.
            .Validate<IOptions<SpringSecurityUserOptions>>((o, u) => !o.Enabled || u.Value.Password.Length > 0,
                $"{RegistrySecurityOptions.Section}:Enabled is true but {SpringSecurityUserOptions.Section}:Password is empty (set it, e.g. Spring__Security__User__Password)")
            .Validate<IOptions<SpringSecurityUserOptions>>((o, u) => !o.Enabled || (u.Value.Name.Length > 0 && !u.Value.Name.Contains(':', StringComparison.Ordinal)),
                $"{SpringSecurityUserOptions.Section}:Name must be non-empty and without ':' (HTTP Basic cannot carry it)")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new AuthenticationFailureThrottle(
            sp.GetRequiredService<IOptions<RegistrySecurityOptions>>().Value.AuthenticationThrottle));
        return builder;
    }

    /// <summary>Adds the check in front of the Eureka API and the dashboard; a no-op unless <c>Eureka:Server:Security:Enabled</c>.</summary>
    public static IApplicationBuilder UseRegistrySecurity(this IApplicationBuilder app) =>
        app.UseMiddleware<RegistrySecurityMiddleware>();
}
