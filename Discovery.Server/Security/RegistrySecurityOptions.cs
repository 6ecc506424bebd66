using Infrastructure.ServiceDefaults.Security;

namespace Infrastructure.Discovery.Server.Security;

/// <summary>
/// <c>Eureka:Server:Security</c>: closes the registry with HTTP Basic, as Spring Cloud users do by adding Spring Security
/// to their Eureka server. Off by default, because Eureka is open and its clients expect it to be.
/// </summary>
public sealed class RegistrySecurityOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Eureka:Server:Security";

    /// <summary>Require the <c>Spring:Security:User</c> credential for registry writes, status overrides and peer replication. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Also require it for reads: <c>GET /eureka/**</c>, the dashboard and <c>/actuator/prometheus</c> (Spring Security's default: everything). Default true. <c>/actuator/health</c> stays open.</summary>
    public bool ProtectReads { get; set; } = true;

    /// <summary>Wrong credentials allowed per remote address in a window before 429 (default 10 a minute).</summary>
    public AuthenticationThrottleOptions AuthenticationThrottle { get; set; } = new();
}

/// <summary><c>Spring:Security:User</c>: the one user, named as Spring Boot's <c>spring.security.user.*</c>.</summary>
public sealed class SpringSecurityUserOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Spring:Security:User";

    /// <summary>User name (Spring Boot's default: <c>user</c>).</summary>
    public string Name { get; set; } = "user";

    /// <summary>Password; required when security is enabled (Spring would generate and log one; we never log it, so we ask).</summary>
    public string Password { get; set; } = "";
}
