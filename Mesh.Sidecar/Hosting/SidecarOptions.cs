using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Mesh.Sidecar.Hosting;

/// <summary>The sidecar's settings, under <c>Sidecar</c>, set from its command line (<see cref="SidecarCommandLine"/>).</summary>
public sealed class SidecarOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Sidecar";

    /// <summary>The app's name in the registry and its identity (<c>--app-name</c>, required).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]*$", ErrorMessage = "an app name is letters, digits, '.', '_' and '-'")]
    public string AppName { get; set; } = "";

    /// <summary>The port the app listens on, on loopback (<c>--app-port</c>, required).</summary>
    [Range(1, 65535)]
    public int AppPort { get; set; }

    /// <summary>Where callers in the mesh reach the app (<c>--inbound-port</c>, default 15006).</summary>
    [Range(1, 65535)]
    public int InboundPort { get; set; } = 15006;

    /// <summary>Where the app calls other services (<c>--outbound-port</c>, default 15001).</summary>
    [Range(1, 65535)]
    public int OutboundPort { get; set; } = 15001;

    /// <summary>Plaintext loopback port of /ready, /stats/prometheus, /config_dump, /quitquitquit (<c>--admin-port</c>, default 15000).</summary>
    [Range(1, 65535)]
    public int AdminPort { get; set; } = 15000;

    /// <summary>
    /// The control plane's address, h2c (<c>--control-plane</c>, default <c>http://127.0.0.1:15010</c>); several replicas
    /// comma-separated: the sidecar moves to the next one when its stream or a certificate request fails.
    /// </summary>
    [Required]
    [RegularExpression(@"^\s*https?://[^\s,]+(\s*,\s*https?://[^\s,]+)*\s*$", ErrorMessage = "the control plane is an http:// or https:// address, or several separated by commas")]
    public string ControlPlane { get; set; } = "http://127.0.0.1:15010";

    /// <summary>Every address in <see cref="ControlPlane"/>, in order.</summary>
    public IReadOnlyList<Uri> ControlPlaneAddresses() =>
        [.. ControlPlane.Split(',', StringSplitOptions.TrimEntries).Select(a => new Uri(a, UriKind.Absolute))];

    /// <summary>The app's health path (<c>--app-health-path</c>); without it, a TCP connect to the app port decides UP/DOWN.</summary>
    public string? AppHealthPath { get; set; }

    /// <summary>The one drain deadline on shutdown (<c>--drain-duration</c>, default 5 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the app's health is probed (default 5 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Certificate lifetime asked of the CA, in seconds (default 0: the CA's default, 24 h).</summary>
    [Range(0, 31_536_000)]
    public long CertificateValiditySeconds { get; set; }

    /// <summary>The workload's labels besides <c>app</c> (<c>--metadata k=v</c>, repeatable), also registered as instance metadata.</summary>
    public Dictionary<string, string> Metadata { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The workload's namespace (always <c>default</c>: the registry has no namespaces).</summary>
    public const string Namespace = "default";

    /// <summary>The SPIFFE trust domain.</summary>
    public const string TrustDomain = "cluster.local";

    /// <summary>The workload's labels: <c>app: AppName</c> plus every metadata pair.</summary>
    public IReadOnlyDictionary<string, string> Labels()
    {
        var labels = new Dictionary<string, string>(Metadata, StringComparer.Ordinal) { ["app"] = AppName };
        return labels;
    }

    /// <summary>The four ports must differ.</summary>
    public bool PortsDiffer() => new[] { AppPort, InboundPort, OutboundPort, AdminPort }.Distinct().Count() == 4;

    /// <summary>The message when <see cref="PortsDiffer"/> is false.</summary>
    public const string PortsMessage = "Sidecar: --app-port, --inbound-port, --outbound-port and --admin-port must be four different ports";

    /// <summary>
    /// Every problem with these settings, each naming its key: checked before the host is built, because the listeners
    /// (built with it) need the sidecar's parts.
    /// </summary>
    public List<string> Problems()
    {
        var problems = Infrastructure.ServiceDefaults.Options.SettingsValidation.Check(this, SectionName);
        if (!PortsDiffer())
        {
            problems.Add(PortsMessage);
        }
        if (!problems.Any(p => p.StartsWith(SectionName + ":ControlPlane", StringComparison.Ordinal))
            && ControlPlane.Split(',', StringSplitOptions.TrimEntries).FirstOrDefault(a => !Uri.TryCreate(a, UriKind.Absolute, out _)) is { } bad)
        {
            problems.Add($"{SectionName}:ControlPlane: '{bad}' is not an address");
        }
        return problems;
    }

    /// <summary>The SPIFFE id of an app (its service account is its name).</summary>
    public static string SpiffeId(string app) => $"spiffe://{TrustDomain}/ns/{Namespace}/sa/{app.ToLowerInvariant()}";
}
