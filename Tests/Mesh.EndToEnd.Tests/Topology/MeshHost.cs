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
    /// Waits until the resources in force contain <paramref name="configzContains"/> (when given) and every running
    /// sidecar has ACKed them (no STALE, no NOT SENT in <c>/debug/syncz</c>).
    /// </summary>
    public async Task WaitSyncedAsync(string? configzContains = null)
    {
        var last = "";
        await Eventually.UntilAsync(async () =>
        {
            if (configzContains is not null && !(await ConfigzAsync()).Contains(configzContains, StringComparison.Ordinal)) { return false; }
            last = await SynczAsync();
            var running = _workloads.Where(w => !w.HasExited).ToList();
            return Syncz.AllSynced(last, running.Count);
        }, Bounds.Converge, () => $"every sidecar SYNCED{(configzContains is null ? "" : " on a set holding " + configzContains)}; syncz: {last}\n{Logs()}");
    }

    /// <summary>Waits until the control plane says why it rejected <paramref name="fileName"/> (its log or <c>/debug/syncz</c>) and returns that line.</summary>
    public async Task<string> WaitForRejectionAsync(string fileName)
    {
        string? reason = null;
        await Eventually.UntilAsync(async () =>
        {
            reason = ControlPlane.Output.Split('\n').LastOrDefault(l => l.Contains(fileName, StringComparison.Ordinal) && Syncz.SaysRejected(l));
            if (reason is null)
            {
                var syncz = await SynczAsync();
                if (syncz.Contains(fileName, StringComparison.Ordinal) && Syncz.SaysRejected(syncz)) { reason = syncz; }
            }
            return reason is not null;
        }, Bounds.Converge, () => $"the control plane naming {fileName} as rejected\n{Logs()}");
        return reason!;
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
        sb.Append("--- control plane\n").Append(Tail(ControlPlane.Output)).Append('\n');
        foreach (var w in _workloads) { sb.Append(CultureInfo.InvariantCulture, $"--- {w.Name}\n").Append(Tail(w.Output)).Append('\n'); }
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
