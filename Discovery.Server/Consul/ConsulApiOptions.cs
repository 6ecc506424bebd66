using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Discovery.Server.Consul;

/// <summary><c>Eureka:Server:Consul</c>: the Consul agent/catalog/health API served beside Eureka's, on the same registry.</summary>
public sealed class ConsulApiOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Eureka:Server:Consul";

    /// <summary>Serve <c>/v1/agent</c>, <c>/v1/catalog</c>, <c>/v1/health</c> and <c>/v1/status</c>. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The datacenter name answered in Consul payloads (Consul's default: <c>dc1</c>).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$")]
    public string Datacenter { get; set; } = "dc1";

    /// <summary>HTTP and TCP checks run at the same time at most; the rest wait their turn. Default 16.</summary>
    [Range(1, 1024)]
    public int MaxConcurrentChecks { get; set; } = 16;
}
