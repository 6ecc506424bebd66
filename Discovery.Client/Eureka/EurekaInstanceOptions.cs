using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Discovery.Client.Eureka;

/// <summary>How this application describes itself to Eureka, under <c>Eureka:Instance</c> (Steeltoe's names).</summary>
public sealed class EurekaInstanceOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Eureka:Instance";

    /// <summary>Application name (sent upper-case). Default: <c>Spring:Application:Name</c>, else the host's application name.</summary>
    public string? AppName { get; set; }

    /// <summary>Instance id. Default: <c>{HostName}:{AppName}:{Port}</c>, as Spring Cloud.</summary>
    public string? InstanceId { get; set; }

    /// <summary>Host name to register. Default: the machine name (or the IP when <see cref="PreferIpAddress"/>).</summary>
    public string? HostName { get; set; }

    /// <summary>IP address to register. Default: the address the server is bound to when it is a specific one, else the first non-loopback IPv4.</summary>
    public string? IpAddress { get; set; }

    /// <summary>Register the IP address as the host name (default false).</summary>
    public bool PreferIpAddress { get; set; }

    /// <summary>Non-secure port. Default 0: the port the server actually bound (dynamic ports included).</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>Secure port (default 443, used only when <see cref="SecurePortEnabled"/>).</summary>
    [Range(0, 65535)]
    public int SecurePort { get; set; } = 443;

    /// <summary>Whether the non-secure port is enabled (default true).</summary>
    public bool NonSecurePortEnabled { get; set; } = true;

    /// <summary>Whether the secure port is enabled (default false; true when the server is bound to https only).</summary>
    public bool SecurePortEnabled { get; set; }

    /// <summary>Seconds between renewals (heartbeats) (default 30).</summary>
    [Range(1, 3600)]
    public int LeaseRenewalIntervalInSeconds { get; set; } = 30;

    /// <summary>Seconds the server waits after the last renewal before it may evict this instance (default 90).</summary>
    [Range(1, 86400)]
    public int LeaseExpirationDurationInSeconds { get; set; } = 90;

    /// <summary>VIP address (default: the app name).</summary>
    public string? VipAddress { get; set; }

    /// <summary>Secure VIP address (default: the app name).</summary>
    public string? SecureVipAddress { get; set; }

    /// <summary>Path of the health check (default <c>/actuator/health</c>).</summary>
    public string HealthCheckUrlPath { get; set; } = "/actuator/health";

    /// <summary>Path of the status page (default <c>/actuator/info</c>).</summary>
    public string StatusPageUrlPath { get; set; } = "/actuator/info";

    /// <summary>Path of the home page (default <c>/</c>).</summary>
    public string HomePageUrlPath { get; set; } = "/";

    /// <summary>Metadata sent with the registration (<c>Eureka:Instance:MetadataMap:{key}</c>), e.g. <c>zone</c>.</summary>
    public Dictionary<string, string> MetadataMap { get; set; } = new(StringComparer.Ordinal);
}
