using System.Globalization;
using Infrastructure.Hosting.Processes;
using Infrastructure.Testing;

namespace Infrastructure.Mesh.EndToEnd.Tests.Topology;

/// <summary>
/// A mesh on loopback, as real processes: Discovery.Server, Mesh.ControlPlane watching a temp copy of
/// <c>Samples/Mesh/config</c>, and the workloads added to it, each behind its own Mesh.Sidecar.
/// </summary>
internal sealed class MeshHost : IAsyncDisposable
{
    private readonly List<Workload> _workloads = [];

    private MeshHost(string folder, ServerProcess discovery, ServerProcess controlPlane, MeshConfig config, Uri? zipkin)
    {
        Folder = folder;
        Discovery = discovery;
        ControlPlane = controlPlane;
        Config = config;
        Zipkin = zipkin;
    }

    /// <summary>The temp folder holding the config and the CA root.</summary>
    public string Folder { get; }

    public ServerProcess Discovery { get; }

    public ServerProcess ControlPlane { get; }

    /// <summary>The folder the control plane watches.</summary>
    public MeshConfig Config { get; }

    /// <summary>Where the sidecars export their spans (Zipkin v2 JSON), when set.</summary>
    public Uri? Zipkin { get; }

    public IReadOnlyList<Workload> Workloads => _workloads;

    /// <summary>The Eureka service URL the sidecars register with.</summary>
    public string EurekaUrl => Discovery.BaseUri + "eureka/";

    /// <summary>Starts the registry and the control plane; <paramref name="controlPlaneArgs"/> are extra settings (e.g. a short certificate lifetime).</summary>
    public static async Task<MeshHost> StartAsync(IEnumerable<string>? controlPlaneArgs = null, Uri? zipkin = null)
    {
        var folder = Directory.CreateTempSubdirectory("mesh-e2e-").FullName;
        var config = MeshConfig.CopyOfSamples(Path.Combine(folder, "config"));
        ServerProcess? discovery = null;
        try
        {
            discovery = await ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
            {
                // New instances visible to the other sidecars within a second or two instead of Eureka's 30 s.
                ["Eureka__Server__ResponseCacheUpdateIntervalMs"] = "500",
                ["Eureka__Server__EnableSelfPreservation"] = "false",
            }, timeout: Bounds.ProcessStart);
            var controlPlane = await ServerProcess.StartAsync("Mesh.ControlPlane",
                args: ["--Mesh:ConfigPath=" + config.Folder, "--Mesh:Ca:RootPath=" + Path.Combine(folder, "ca"), .. controlPlaneArgs ?? []],
                timeout: Bounds.ProcessStart);
            return new MeshHost(folder, discovery, controlPlane, config, zipkin);
        }
        catch
        {
            if (discovery is not null) { await discovery.DisposeAsync(); }
            TryDelete(folder);
            throw;
        }
    }

    /// <summary>Starts a sidecar for <paramref name="app"/> (labels app=APP, version=VERSION) running <paramref name="command"/>, or proxying an app started some other way when null, and waits until it is ready.</summary>
    public async Task<Workload> AddAsync(string app, string version, string[]? command, int? appPort = null)
    {
        var w = new Workload(this, app, version, command, appPort ?? FreePort.Next());
        _workloads.Add(w);
        await w.StartAsync();
        return w;
    }

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The control plane's <c>/debug/syncz</c>: each connected sidecar and, per resource type, SYNCED / STALE / NOT SENT.</summary>
    public Task<string> SynczAsync() => Http.GetStringAsync(new Uri(ControlPlane.BaseUri, "debug/syncz"));

    /// <summary>The control plane's <c>/debug/configz</c>: the resources in force.</summary>
    public Task<string> ConfigzAsync() => Http.GetStringAsync(new Uri(ControlPlane.BaseUri, "debug/configz"));

    /// <summary>
    /// Waits until the resources in force (<c>/debug/configz</c>) contain <paramref name="configzContains"/> (when given)
    /// and every running sidecar is connected with every resource type SYNCED in <c>/debug/syncz</c>.
    /// </summary>
    public async Task WaitSyncedAsync(string? configzContains = null)
    {
        var last = "";
        if (configzContains is not null)
        {
            await Eventually.UntilAsync(async () => (await ConfigzAsync()).Contains(configzContains, StringComparison.Ordinal),
                Bounds.Converge, () => $"{configzContains} in /debug/configz\n{Logs()}");
            // The push follows the snapshot at once; give it a moment to go out before reading the ACKs.
            await Task.Delay(300);
        }
        await Eventually.UntilAsync(async () =>
        {
            last = await SynczAsync();
            return Syncz.AllSynced(last, _workloads.Count(w => !w.HasExited));
        }, Bounds.Converge, () => $"every sidecar SYNCED; syncz: {last}\n{Logs()}");
    }

    /// <summary>
    /// Waits until the control plane gives the reason it rejected <paramref name="fileName"/>: in its log (<c>Rejected: ...</c>)
    /// and in <c>/debug/configz</c>'s <c>rejected</c> list; returns the log line and the listed reasons.
    /// </summary>
    public async Task<string> WaitForRejectionAsync(string fileName)
    {
        string? line = null;
        IReadOnlyList<string> listed = [];
        await Eventually.UntilAsync(async () =>
        {
            line = ControlPlane.Output.Split('\n').LastOrDefault(l => l.Contains("Rejected", StringComparison.Ordinal) && l.Contains(fileName, StringComparison.Ordinal));
            listed = Syncz.Rejections(await ConfigzAsync(), fileName);
            return line is not null && listed.Count > 0;
        }, Bounds.Converge, () => $"the control plane's log and /debug/configz naming {fileName} as rejected (log: {line}; configz: {string.Join("; ", listed)})\n{Logs()}");
        return line + "\n" + string.Join("\n", listed);
    }

    /// <summary>Every sidecar's process environment: the registry, fast lab timings, and where spans go.</summary>
    internal Dictionary<string, string?> SidecarEnvironment()
    {
        var env = new Dictionary<string, string?>
        {
            ["DOTNET_NOLOGO"] = "1",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Eureka__Client__ServiceUrl__DefaultZone"] = EurekaUrl,
            // The lab's timings: a new or returning instance reaches the other sidecars within seconds.
            ["Eureka__Client__RegistryFetchIntervalSeconds"] = "1",
            ["Eureka__Instance__LeaseRenewalIntervalInSeconds"] = "5",
            ["Eureka__Instance__LeaseExpirationDurationInSeconds"] = "15",
        };
        if (Zipkin is not null) { env["Tracing__Zipkin__Endpoint"] = Zipkin.ToString(); }
        return env;
    }

    /// <summary>What every process printed, for a failure message.</summary>
    public string Logs()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"--- control plane{(ControlPlane.HasExited ? " (EXITED)" : "")}\n").Append(Tail(ControlPlane.Output)).Append('\n');
        foreach (var w in _workloads) { sb.Append(CultureInfo.InvariantCulture, $"--- {w.Name} :{w.AppPort}{(w.HasExited ? " (EXITED)" : "")}\n").Append(Tail(w.Output)).Append('\n'); }
        return sb.ToString();
    }

    private static string Tail(string text) => text.Length > 4000 ? "..." + text[^4000..] : text;

    public async ValueTask DisposeAsync()
    {
        // Sidecars first (they deregister while the registry is up), then the control plane and the registry.
        foreach (var w in Enumerable.Reverse(_workloads)) { await w.DisposeAsync(); }
        await ControlPlane.DisposeAsync();
        await Discovery.DisposeAsync();
        TryDelete(Folder);
    }

    private static void TryDelete(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>How long the tests wait for each kind of thing; every wait is bounded.</summary>
internal static class Bounds
{
    public static readonly TimeSpan ProcessStart = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(20);
}
