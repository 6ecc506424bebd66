using System.Globalization;

namespace Infrastructure.Samples.Lab;

/// <summary>
/// A Bookinfo sample (<c>Samples/Mesh</c>) as the lab runs it: <c>dotnet Mesh.Sidecar.dll ... -- APP</c>, the sidecar
/// registering the app under <see cref="App"/> with its inbound port and <c>version</c> label, and starting the app
/// once it is ready. The sidecar's ports follow Istio's (admin 15000, outbound 15001, inbound 15006) from a base per
/// sample: base, base+1, base+6, and base+10 for the next instance.
/// </summary>
/// <param name="App">The app name it registers as (Eureka app, SPIFFE service account, label <c>app</c>).</param>
/// <param name="Version">Its <c>version</c> label, which the DestinationRules' subsets select.</param>
/// <param name="SidecarBase">The first instance's admin port.</param>
/// <param name="Command">The app's command line, given the repository root and the instance.</param>
internal sealed record MeshWorkload(string App, string Version, int SidecarBase, Func<string, LabInstance, string[]> Command)
{
    /// <summary>The control plane's project folder, where its dll is built.</summary>
    public const string ControlPlaneProject = "Mesh.ControlPlane";

    /// <summary>The sidecar's project folder, where its dll is built.</summary>
    public const string SidecarProject = "Mesh.Sidecar";

    public int AdminPort(LabInstance i) => SidecarBase + (10 * i.Index);

    public int OutboundPort(LabInstance i) => AdminPort(i) + 1;

    public int InboundPort(LabInstance i) => AdminPort(i) + 6;

    /// <summary>The sidecar's admin address (<c>/ready</c>, <c>/config_dump</c>, <c>/stats/prometheus</c>).</summary>
    public Uri AdminUri(LabInstance i) => new($"http://127.0.0.1:{P(AdminPort(i))}/");

    /// <summary>The sidecar's arguments (COMMON command line), the app's command after <c>--</c>.</summary>
    public IEnumerable<string> SidecarArguments(LabPlan plan, LabInstance i, string root) =>
    [
        "--app-name", App,
        "--app-port", P(i.Port),
        "--metadata", "version=" + Version,
        "--inbound-port", P(InboundPort(i)),
        "--outbound-port", P(OutboundPort(i)),
        "--admin-port", P(AdminPort(i)),
        "--control-plane", plan.UrlOf("mesh-cp").ToString().TrimEnd('/'),
        "--app-health-path", "/health",
        "--",
        .. Command(root, i),
    ];

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);
}
