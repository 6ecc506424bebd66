using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Mesh.ControlPlane;

/// <summary>The <c>Mesh</c> section: where the resources come from and how changes are pushed (istiod's PILOT_* settings).</summary>
public sealed class MeshOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Mesh";

    /// <summary>The folder of Istio YAML/JSON files, read recursively and watched. Default: <c>mesh</c> under the content root.</summary>
    [Required]
    public string ConfigPath { get; set; } = "mesh";

    /// <summary>Quiet time after the last change before a push (istiod's PILOT_DEBOUNCE_AFTER). Default 100 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan DebounceAfter { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest a burst of changes holds a push back (istiod's PILOT_DEBOUNCE_MAX). Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DebounceMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the folder is read again in case a file-system event was missed (network mounts, editors' renames). Default 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The identity this control plane gives in each push (istiod's POD_NAME). Default: the machine name and process id.</summary>
    public string? ControlPlaneIdentifier { get; set; }

    /// <summary>The mesh CA (<c>Mesh:Ca</c>).</summary>
    public CaOptions Ca { get; set; } = new();

    /// <summary>
    /// The Config.Server property holding resources as YAML text (several documents allowed), read when
    /// <c>Spring:Cloud:Config:Uri</c> is set, from the environment <c>Spring:Cloud:Config:Name</c>/<c>:Profile</c>. Default <c>mesh.resources</c>.
    /// </summary>
    [Required]
    public string ConfigServerProperty { get; set; } = "mesh.resources";
}

/// <summary>The <c>Mesh:Ca</c> section: istiod's CA settings.</summary>
public sealed class CaOptions
{
    /// <summary>Folder of the root key and certificate (<c>root-cert.pem</c>, <c>root-key.pem</c>, as istiod's <c>cacerts</c>), shared by replicas. Default: <c>mesh-ca</c> under the content root.</summary>
    [Required]
    public string RootPath { get; set; } = "mesh-ca";

    /// <summary>The SPIFFE trust domain (Istio's trustDomain). Default <c>cluster.local</c>.</summary>
    [Required]
    [RegularExpression("^[a-z0-9.-]+$")]
    public string TrustDomain { get; set; } = "cluster.local";

    /// <summary>Lifetime of a workload certificate when the request asks for none (DEFAULT_WORKLOAD_CERT_TTL). Default 24 h.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan WorkloadCertTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Longest lifetime a request may ask for (MAX_WORKLOAD_CERT_TTL). Default 90 days.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan MaxWorkloadCertTtl { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Lifetime of the self-signed root created on first start (CITADEL_SELF_SIGNED_CA_CERT_TTL). Default 10 years.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "36500.00:00:00")]
    public TimeSpan SelfSignedRootCertTtl { get; set; } = TimeSpan.FromDays(3650);
}
