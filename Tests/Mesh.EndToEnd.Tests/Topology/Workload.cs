using System.Globalization;
using System.Net;
using Infrastructure.Hosting.Processes;
using Infrastructure.Testing;

namespace Infrastructure.Mesh.EndToEnd.Tests.Topology;

/// <summary>One app instance behind its own Mesh.Sidecar (started with COMMON.md's command line), on free loopback ports.</summary>
internal sealed class Workload : IAsyncDisposable
{
    private readonly MeshHost _mesh;
    private readonly string[]? _command;
    private ChildProcess? _sidecar;
    private string _previousOutput = "";

    internal Workload(MeshHost mesh, string app, string version, string[]? command, int appPort)
    {
        _mesh = mesh;
        App = app;
        Version = version;
        _command = command;
        AppPort = appPort;
        InboundPort = FreePort.Next();
        OutboundPort = FreePort.Next();
        AdminPort = FreePort.Next();
        // One client per workload: its connections go to this sidecar's outbound port, as the app's would.
        Outbound = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1), UseProxy = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{OutboundPort}/"),
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public string App { get; }

    public string Version { get; }

    public string Name => $"{App}-{Version}";

    public int AppPort { get; }

    public int InboundPort { get; }

    public int OutboundPort { get; }

    public int AdminPort { get; }

    public Uri AdminUri => new($"http://127.0.0.1:{AdminPort}/");

    /// <summary>The app's own address, bypassing the mesh.</summary>
    public Uri AppUri => new($"http://127.0.0.1:{AppPort}/");

    /// <summary>Sends requests into the mesh as this workload's app does: to its sidecar's outbound port.</summary>
    public HttpClient Outbound { get; }

    public bool HasExited => _sidecar?.HasExited ?? true;

    public string Output => _previousOutput + (_sidecar?.Output ?? "");

    /// <summary>The sidecar's process id.</summary>
    public int Pid => _sidecar?.Pid ?? 0;

    /// <summary>Starts the sidecar (and through it the app) and waits until its admin <c>/ready</c> answers 200.</summary>
    public async Task StartAsync()
    {
        var args = new List<string>
        {
            RepoPaths.ProjectDll("Mesh.Sidecar"),
            "--app-name", App,
            "--app-port", P(AppPort),
            "--metadata", "version=" + Version,
            "--inbound-port", P(InboundPort),
            "--outbound-port", P(OutboundPort),
            "--admin-port", P(AdminPort),
            "--control-plane", _mesh.ControlPlane.BaseUri.ToString().TrimEnd('/'),
        };
        if (_command is not null)
        {
            args.AddRange(["--app-health-path", "/health", "--", .. _command]);
        }
        var spec = new ProcessSpec("dotnet", args) { WorkingDirectory = RepoPaths.Root };
        spec.WithEnvironment(_mesh.SidecarEnvironment());
        _sidecar = ChildProcess.Start(spec);
        await _sidecar.WaitForUrlAsync(new Uri(AdminUri, "ready"), Bounds.ProcessStart);
    }

    /// <summary>Kills the sidecar with SIGKILL (only the sidecar: an app started some other way keeps running).</summary>
    public async Task KillAsync()
    {
        if (_sidecar is null) { return; }
        await _sidecar.SignalAsync("KILL");
        await _sidecar.WaitForExitAsync(TimeSpan.FromSeconds(10));
        _previousOutput += _sidecar.Output + "\n--- (killed)\n";
        _sidecar.Dispose();
        _sidecar = null;
    }

    /// <summary>Sends <paramref name="method"/> <paramref name="path"/> for service <paramref name="host"/> through this workload's sidecar.</summary>
    public async Task<Reply> SendAsync(string host, string path, HttpMethod? method = null, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        request.Headers.Host = host;
        foreach (var (k, v) in headers ?? new Dictionary<string, string>()) { request.Headers.TryAddWithoutValidation(k, v); }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var response = await Outbound.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            return new Reply(response.StatusCode, body, System.Diagnostics.Stopwatch.GetElapsedTime(started), null);
        }
        catch (HttpRequestException e)
        {
            return new Reply(0, "", System.Diagnostics.Stopwatch.GetElapsedTime(started), e.Message);
        }
        catch (TaskCanceledException e)
        {
            return new Reply(0, "", System.Diagnostics.Stopwatch.GetElapsedTime(started), "timed out: " + e.Message);
        }
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        Outbound.Dispose();
        if (_sidecar is not null)
        {
            // SIGTERM: the sidecar deregisters, drains and stops its app.
            await _sidecar.StopAsync(TimeSpan.FromSeconds(10));
            _previousOutput += _sidecar.Output;
            _sidecar.Dispose();
            _sidecar = null;
        }
    }
}

/// <summary>What one request got back: the status (0 when no answer), the body, how long it took, and why it failed.</summary>
internal sealed record Reply(HttpStatusCode Status, string Body, TimeSpan Elapsed, string? Error)
{
    public bool Ok => Status == HttpStatusCode.OK;

    /// <summary>A top-level string field of the JSON body (e.g. <c>version</c>, <c>instance</c>), or null.</summary>
    public string? Field(string name)
    {
        if (!Ok) { return null; }
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(Body);
            return doc.RootElement.TryGetProperty(name, out var v) ? v.ToString() : null;
        }
        catch (System.Text.Json.JsonException) { return null; }
    }

    public override string ToString() => $"{(int)Status} {Error} {(Body.Length > 300 ? Body[..300] + "..." : Body)}";
}
