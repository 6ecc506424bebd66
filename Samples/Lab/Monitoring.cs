using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Infrastructure.Hosting.Processes;

namespace Infrastructure.Samples.Lab;

/// <summary>
/// The lab's viewers: the Aspire Dashboard (standalone, from the NuGet cache) receiving every process's OTLP logs,
/// traces and metrics, and optionally Debian's Prometheus scraping every <c>/actuator/prometheus</c>.
/// </summary>
internal static class Monitoring
{
    public const string DashboardPackageVersion = "13.6.5";
    public const int DefaultDashboardPort = 18888;
    public const int DefaultDashboardOtlpPort = 18890;
    public const int DefaultPrometheusPort = 9090;

    /// <summary>Names <c>--port</c> (and, for the dashboard, <c>--only</c>) accept besides the components.</summary>
    public static readonly string[] ToolNames = ["dashboard", "dashboard-otlp", "prometheus"];

    /// <summary>The package for this machine, e.g. <c>aspire.dashboard.sdk.linux-x64</c> (NuGet cache folders are lower case).</summary>
    private static string DashboardPackageId
    {
        get
        {
            var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            var arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "x64";
            return $"aspire.dashboard.sdk.{os}-{arch}";
        }
    }

    /// <summary>
    /// Where the dashboard executable is looked for, in NuGet's own order: <c>$NUGET_PACKAGES</c> when set, otherwise the
    /// packages folder the lab was built with and <c>~/.nuget/packages</c>.
    /// </summary>
    public static IReadOnlyList<string> DashboardCandidates()
    {
        var roots = new List<string>();
        if (Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env)
        {
            roots.Add(env);
        }
        else
        {
            var built = typeof(Monitoring).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value;
            if (!string.IsNullOrEmpty(built)) { roots.Add(built); }
            roots.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"));
        }
        var exe = OperatingSystem.IsWindows() ? "Aspire.Dashboard.exe" : "Aspire.Dashboard";
        return roots.Select(r => Path.GetFullPath(Path.Combine(r, DashboardPackageId, DashboardPackageVersion, "tools", exe)))
            .Distinct(StringComparer.Ordinal).ToList();
    }

    public static string? FindDashboard() => DashboardCandidates().FirstOrDefault(File.Exists);

    /// <summary>Standalone mode, no login: loopback labs only (anonymous also leaves OTLP and the read API without a key).</summary>
    public static Dictionary<string, string> DashboardEnvironment(Uri ui, Uri otlp) => new()
    {
        ["ASPNETCORE_URLS"] = ui.ToString().TrimEnd('/'),
        ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = otlp.ToString().TrimEnd('/'),
        ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
        ["DOTNET_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
        // Its own start-up chatter would drown the services' lines on the lab console.
        ["Logging__LogLevel__Default"] = "Warning",
        ["DOTNET_NOLOGO"] = "1",
    };

    /// <summary>What every lab process gets when the dashboard runs: the standard OTLP variables, short export delays for a lab.</summary>
    public static Dictionary<string, string> OtlpEnvironment(Uri otlp) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        // Spans within a second and metrics every 5 s, instead of the SDK's 5 s and 60 s: a student looks right away.
        ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "5000",
    };

    public static string? FindPrometheus() =>
        File.Exists("/usr/bin/prometheus") ? "/usr/bin/prometheus" : EngineBinaries.FindOnPath("prometheus");

    /// <summary>A scrape config: one job per component, every instance's <c>/actuator/prometheus</c> (a sidecar's <c>/stats/prometheus</c>), every 2 s.</summary>
    public static string PrometheusConfig(IEnumerable<LabInstance> instances)
    {
        var sb = new StringBuilder();
        sb.Append("# Written by the lab launcher (--with-prometheus): every lab process, every 2 s.\n");
        sb.Append("global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n  evaluation_interval: 2s\n");
        sb.Append("scrape_configs:\n");
        foreach (var group in instances.GroupBy(i => i.Component.Name))
        {
            sb.Append(CultureInfo.InvariantCulture, $"  - job_name: {group.Key}\n");
            // A Bookinfo sample has no metrics of its own: its sidecar's admin port has them.
            var workload = group.First().Component.Workload;
            sb.Append(workload is null ? "    metrics_path: /actuator/prometheus\n" : "    metrics_path: /stats/prometheus\n");
            sb.Append("    static_configs:\n");
            sb.Append("      - targets: [")
              .AppendJoin(", ", group.Select(i => string.Create(CultureInfo.InvariantCulture, $"'127.0.0.1:{workload?.AdminPort(i) ?? i.Port}'")))
              .Append("]\n");
        }
        return sb.ToString();
    }

    public static string[] PrometheusArguments(string configFile, string storage, int port) =>
    [
        "--config.file=" + configFile,
        "--storage.tsdb.path=" + storage,
        string.Create(CultureInfo.InvariantCulture, $"--web.listen-address=127.0.0.1:{port}"),
        "--log.level=warn",
    ];
}
