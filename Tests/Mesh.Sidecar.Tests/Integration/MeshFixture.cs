using System.Globalization;
using System.Net;
using System.Text.Json;
using Infrastructure.Hosting.Processes;
using Infrastructure.Testing;

namespace Infrastructure.Mesh.Sidecar.Tests.Integration;

/// <summary>One sidecar process with its app (a small Python HTTP server that echoes what it received and its environment).</summary>
public sealed class SidecarProcess(ChildProcess process, string app, int appPort, int inbound, int outbound, int admin) : IAsyncDisposable
{
    public ChildProcess Process { get; } = process;

    public string App { get; } = app;

    public int AppPort { get; } = appPort;

    public int InboundPort { get; } = inbound;

    public int OutboundPort { get; } = outbound;

    public int AdminPort { get; } = admin;

    public Uri Admin(string path) => new($"http://127.0.0.1:{AdminPort.ToString(CultureInfo.InvariantCulture)}{path}");

    /// <summary>Stops it as an orchestrator would (SIGTERM: drain, deregister), so no dead instance stays in the registry for the next test.</summary>
    public async ValueTask DisposeAsync()
    {
        // A test's `await using` and the fixture both dispose it: once is enough.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await Process.StopAsync(TimeSpan.FromSeconds(10));
        await Process.DisposeAsync();
    }

    private int _disposed;
}

/// <summary>A registry (Discovery.Server, a real process) and an in-test control plane shared by the integration tests.</summary>
public sealed class MeshFixture : IAsyncLifetime
{
    private const string AppScript = """
        import http.server, json, os, sys, time, urllib.parse
        port = int(os.environ['PORT'])
        name = sys.argv[1]
        version = sys.argv[2]
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'
            def answer(self):
                n = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(n) if n else b''
                sleep = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get('sleep')
                if sleep:
                    time.sleep(int(sleep[0]) / 1000)
                env = {k: os.environ.get(k) for k in ('MESH_OUTBOUND_PORT', 'HTTP_PROXY', 'NO_PROXY', 'PORT')}
                out = json.dumps({'app': name, 'version': version, 'method': self.command, 'path': self.path, 'body': body.decode(),
                                  'headers': {k.lower(): v for k, v in self.headers.items()}, 'env': env}).encode()
                self.send_response(int(os.environ.get('APP_STATUS') or 200))
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(out)))
                self.end_headers()
                self.wfile.write(out)
            do_GET = do_POST = do_DELETE = do_PUT = answer
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()
        """;

    private readonly List<IAsyncDisposable> _owned = [];
    private string _scriptPath = "";

    public TestControlPlane ControlPlane { get; private set; } = null!;

    public ServerProcess Registry { get; private set; } = null!;

    private Task<(SidecarProcess ProductPage, SidecarProcess Ratings)>? _pair;

    /// <summary>A productpage and a ratings sidecar with their apps, started once and shared by the tests.</summary>
    public Task<(SidecarProcess ProductPage, SidecarProcess Ratings)> PairAsync() => _pair ??= StartPairAsync();

    private async Task<(SidecarProcess, SidecarProcess)> StartPairAsync()
    {
        var started = await Task.WhenAll(StartSidecarAsync("productpage"), StartSidecarAsync("ratings"));
        return (started[0], started[1]);
    }

    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync()
    {
        _scriptPath = Path.Combine(Path.GetTempPath(), $"mesh-app-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(_scriptPath, AppScript);
        ControlPlane = await TestControlPlane.StartAsync();
        Registry = await ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
        {
            ["Eureka__Server__UseReadOnlyResponseCache"] = "false",
            ["Eureka__Server__EnableSelfPreservation"] = "false",
        });
    }

    /// <summary>Starts a sidecar (and, unless <paramref name="command"/> says otherwise, the echo app behind it).</summary>
    public async Task<SidecarProcess> StartSidecarAsync(string app, string version = "v1", Func<int, IReadOnlyList<string>>? command = null, bool waitReady = true, IDictionary<string, string?>? environment = null, string? controlPlane = null)
    {
        var appPort = Port();
        var (inbound, outbound, admin) = (Port(), Port(), Port());
        string P(int p) => p.ToString(CultureInfo.InvariantCulture);
        var spec = new ProcessSpec("dotnet",
        [
            RepoPaths.ProjectDll("Mesh.Sidecar"),
            "--app-name", app, "--app-port", P(appPort), "--metadata", $"version={version}",
            "--inbound-port", P(inbound), "--outbound-port", P(outbound), "--admin-port", P(admin),
            "--control-plane", controlPlane ?? ControlPlane.Address, "--drain-duration", "1s",
            "--",
            .. command?.Invoke(admin) ?? ["python3", _scriptPath, app, version],
        ]);
        spec.Environment["DOTNET_NOLOGO"] = "1";
        // A test host that dies leaves no sidecar behind.
        spec.Environment["INFRA_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        spec.Environment["Eureka__Client__ServiceUrl__DefaultZone"] = new Uri(Registry.BaseUri, "eureka/").ToString();
        spec.Environment["Eureka__Client__RegistryFetchIntervalSeconds"] = "1";
        spec.Environment["Sidecar__HealthInterval"] = "00:00:00.500";
        spec.Environment["Logging__LogLevel__Default"] = "Information";
        spec.WithEnvironment(environment);
        var sidecar = new SidecarProcess(ChildProcess.Start(spec), app, appPort, inbound, outbound, admin);
        _owned.Add(sidecar);
        if (waitReady)
        {
            await sidecar.Process.WaitForUrlAsync(sidecar.Admin("/ready"), TimeSpan.FromSeconds(60));
        }
        return sidecar;
    }

    private readonly HashSet<int> _ports = [];

    /// <summary>A free port not handed out before in this run (the OS may give the same one twice in a row).</summary>
    /// <summary>A free loopback port (nothing listens on it unless the caller starts something there).</summary>
    public int Port()
    {
        lock (_ports)
        {
            while (true)
            {
                var port = FreePort.Next();
                if (_ports.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>A call through <paramref name="via"/>'s outbound port to <paramref name="service"/>.</summary>
    public HttpRequestMessage Outbound(SidecarProcess via, string service, string path, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, $"http://127.0.0.1:{via.OutboundPort.ToString(CultureInfo.InvariantCulture)}{path}");
        request.Headers.Host = service;
        return request;
    }

    /// <summary>Calls until <paramref name="accept"/> says yes (the registry and config take a moment to reach every sidecar); the last answer.</summary>
    public async Task<(HttpStatusCode Status, string Body)> CallUntilAsync(Func<HttpRequestMessage> request, Func<HttpStatusCode, string, bool> accept, TimeSpan? timeout = null)
    {
        var end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        (HttpStatusCode, string) last = (0, "");
        while (true)
        {
            try
            {
                using var response = await Http.SendAsync(request());
                last = (response.StatusCode, await response.Content.ReadAsStringAsync());
                if (accept(last.Item1, last.Item2))
                {
                    return last;
                }
            }
            catch (HttpRequestException ex)
            {
                last = (0, ex.Message);
            }
            if (DateTime.UtcNow > end)
            {
                return last;
            }
            await Task.Delay(200);
        }
    }

    public static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement;

    public async Task DisposeAsync()
    {
        // Every process goes, whatever one of them throws on the way out.
        foreach (var owned in _owned)
        {
            try
            {
                await owned.DisposeAsync();
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException)
            {
                // Already gone.
            }
        }
        Http.Dispose();
        if (Registry is not null)
        {
            await Registry.DisposeAsync();
        }
        if (ControlPlane is not null)
        {
            await ControlPlane.DisposeAsync();
        }
        File.Delete(_scriptPath);
    }
}
