using System.Globalization;
using System.Net;
using Infrastructure.Hosting.Processes;

namespace Infrastructure.Mesh.Benchmarks;

/// <summary>Starts the registry, the control plane, two sidecars and the echo app, then measures direct and meshed phases in turn.</summary>
internal static class MeshBench
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public static async Task<int> RunAsync(MeshBenchOptions o)
    {
        var root = RepositoryLayout.FindRoot(Directory.GetCurrentDirectory(), AppContext.BaseDirectory);
        foreach (var project in new[] { "Discovery.Server", "Mesh.ControlPlane", "Mesh.Sidecar" })
        {
            await EnsureBuiltAsync(root, project);
        }
        var work = Directory.CreateTempSubdirectory("mesh-bench-");
        var configDir = Directory.CreateDirectory(Path.Combine(work.FullName, "config")).FullName;
        await File.WriteAllTextAsync(Path.Combine(configDir, "bench.yaml"), MeshConfig(o.Plaintext));

        var registryUrl = $"http://127.0.0.1:{LoopbackPort.Next()}";
        var controlPlaneUrl = $"http://127.0.0.1:{LoopbackPort.Next()}";
        var appPort = LoopbackPort.Next();
        var server = new SidecarPorts(LoopbackPort.Next(), LoopbackPort.Next(), LoopbackPort.Next());
        var client = new SidecarPorts(LoopbackPort.Next(), LoopbackPort.Next(), LoopbackPort.Next());
        var zone = registryUrl + "/eureka/";
        var processes = new List<ChildProcess>();
        try
        {
            var registry = Start(processes, Dll(root, "Discovery.Server"), ["--urls", registryUrl, "--Serilog:MinimumLevel:Default=Warning"], zone: null);
            await registry.WaitForUrlAsync(new Uri(registryUrl + "/eureka/apps"), StartTimeout);
            var controlPlane = Start(processes, Dll(root, "Mesh.ControlPlane"),
                ["--urls", controlPlaneUrl, $"--Mesh:ConfigPath={configDir}", $"--Mesh:Ca:RootPath={Path.Combine(work.FullName, "ca")}",
                 "--Serilog:MinimumLevel:Default=Warning"], zone);
            await controlPlane.WaitForUrlAsync(new Uri(controlPlaneUrl + "/actuator/health"), StartTimeout);

            // The sidecars run with their defaults (Production, default logging): that is what users get.
            var serverSidecar = Start(processes, Dll(root, "Mesh.Sidecar"),
                [.. server.Arguments("bench-echo", appPort, controlPlaneUrl), "--app-health-path", "/health",
                 "--", "dotnet", typeof(MeshBench).Assembly.Location, "echo", appPort.ToString(CultureInfo.InvariantCulture)], zone);
            // The client's sidecar fronts no app of its own (the harness is its app): its app port is never called.
            var clientSidecar = Start(processes, Dll(root, "Mesh.Sidecar"),
                client.Arguments("bench-client", LoopbackPort.Next(), controlPlaneUrl), zone);
            await serverSidecar.WaitForUrlAsync(new Uri($"http://127.0.0.1:{server.Admin}/ready"), StartTimeout);
            await clientSidecar.WaitForUrlAsync(new Uri($"http://127.0.0.1:{client.Admin}/ready"), StartTimeout);

            using var http = new HttpClient(new SocketsHttpHandler
            {
                UseProxy = false,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                AutomaticDecompression = DecompressionMethods.None,
            })
            { Timeout = TimeSpan.FromSeconds(10) };
            var body = new byte[o.Body];
            Array.Fill(body, (byte)'m');
            var direct = new Uri($"http://127.0.0.1:{appPort}/echo");
            var meshed = new Uri($"http://127.0.0.1:{client.Outbound}/echo");
            HttpRequestMessage Direct() => new(HttpMethod.Post, direct) { Content = new ByteArrayContent(body) };
            HttpRequestMessage Meshed()
            {
                var request = new HttpRequestMessage(HttpMethod.Post, meshed) { Content = new ByteArrayContent(body) };
                request.Headers.Host = "bench-echo";
                return request;
            }

            // The client's sidecar learns of bench-echo from the registry on its own schedule (Eureka's fetch interval).
            await Readiness.WaitUntilAsync(async ct =>
            {
                using var response = await http.SendAsync(Meshed(), ct);
                return response.StatusCode == HttpStatusCode.OK;
            }, StartTimeout, "the meshed path (client sidecar → server sidecar → app) to answer 200");

            Console.WriteLine($"mesh bench: {o.Rate} req/s open loop, {o.Seconds} s per phase after {o.Warmup} s warm-up, {o.Rounds} rounds, " +
                              $"POST {o.Body} B echoed, mTLS {(o.Plaintext ? "off" : "on")}, {Environment.ProcessorCount} cores");
            var rounds = new List<RoundResult>();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(30));
            for (var r = 0; r < o.Rounds; r++)
            {
                PhaseResult? d = null, m = null;
                SidecarUsage? usage = null;
                // Alternate which goes first so drift in the machine's load hits both alike.
                foreach (var meshFirst in r % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var factory = meshFirst ? (Func<HttpRequestMessage>)Meshed : Direct;
                    await OpenLoopLoad.RunAsync(http, factory, o.Body, o.Rate, o.Warmup, o.MaxInFlight, cts.Token);
                    if (meshFirst)
                    {
                        var before = (ProcessUsage.CpuSeconds(clientSidecar.Pid), ProcessUsage.CpuSeconds(serverSidecar.Pid));
                        m = await OpenLoopLoad.RunAsync(http, factory, o.Body, o.Rate, o.Seconds, o.MaxInFlight, cts.Token);
                        var perThousand = 1000.0 / Math.Max(1, m.SortedMs.Length);
                        usage = new SidecarUsage(
                            (ProcessUsage.CpuSeconds(clientSidecar.Pid) - before.Item1) * perThousand,
                            (ProcessUsage.CpuSeconds(serverSidecar.Pid) - before.Item2) * perThousand,
                            ProcessUsage.MemoryMb(clientSidecar.Pid),
                            ProcessUsage.MemoryMb(serverSidecar.Pid));
                    }
                    else
                    {
                        d = await OpenLoopLoad.RunAsync(http, factory, o.Body, o.Rate, o.Seconds, o.MaxInFlight, cts.Token);
                    }
                }
                var round = new RoundResult(r + 1, d!, m!, usage!);
                rounds.Add(round);
                round.Print();
            }
            RoundResult.PrintSummary(rounds);
            return rounds.Sum(x => x.Direct.Errors + x.Mesh.Errors) == 0 ? 0 : 1;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or HttpRequestException)
        {
            Console.Error.WriteLine($"mesh bench failed: {e.Message}");
            foreach (var p in processes)
            {
                Console.Error.WriteLine($"--- pid {p.Pid} (last lines) ---{Environment.NewLine}{p.Output}");
            }
            return 1;
        }
        finally
        {
            for (var i = processes.Count - 1; i >= 0; i--)
            {
                await processes[i].StopAsync(TimeSpan.FromSeconds(10));
                await processes[i].DisposeAsync();
            }
            work.Delete(recursive: true);
        }
    }

    private static ChildProcess Start(List<ChildProcess> processes, string dll, string[] arguments, string? zone)
    {
        var spec = new ProcessSpec("dotnet", [dll, .. arguments])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            KeepLines = 40,
        };
        spec.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        spec.Environment["DOTNET_NOLOGO"] = "1";
        if (zone is not null)
        {
            spec.Environment["Eureka__Client__ServiceUrl__DefaultZone"] = zone;
        }
        var process = ChildProcess.Start(spec);
        processes.Add(process);
        return process;
    }

    private static string Dll(string root, string project) => RepositoryLayout.ProjectDll(root, project, "Release");

    private static async Task EnsureBuiltAsync(string root, string project)
    {
        if (File.Exists(Dll(root, project)))
        {
            return;
        }
        Console.WriteLine($"{Dll(root, project)} missing: building {project} (Release)...");
        await ProcessRunner.RunCheckedAsync(
            new ProcessSpec("dotnet", ["build", Path.Combine(root, project, project + ".csproj"), "-c", "Release", "-nologo", "-v", "q"]) { KeepLines = 50 },
            TimeSpan.FromMinutes(10));
    }

    private static string MeshConfig(bool plaintext) => plaintext
        ? """
          apiVersion: security.istio.io/v1
          kind: PeerAuthentication
          metadata: { name: default, namespace: istio-system }
          spec: { mtls: { mode: DISABLE } }
          ---
          apiVersion: networking.istio.io/v1
          kind: DestinationRule
          metadata: { name: bench-echo }
          spec:
            host: bench-echo
            trafficPolicy: { tls: { mode: DISABLE } }
          """
        : """
          apiVersion: security.istio.io/v1
          kind: PeerAuthentication
          metadata: { name: default, namespace: istio-system }
          spec: { mtls: { mode: STRICT } }
          """;

    private sealed record SidecarPorts(int Inbound, int Outbound, int Admin)
    {
        public string[] Arguments(string app, int appPort, string controlPlane) =>
        [
            "--app-name", app, "--app-port", Num(appPort),
            "--inbound-port", Num(Inbound), "--outbound-port", Num(Outbound), "--admin-port", Num(Admin),
            "--control-plane", controlPlane,
        ];

        private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>CPU seconds per 1,000 requests and memory (MB, now and peak) of the client's and the server's sidecar.</summary>
internal sealed record SidecarUsage(double ClientCpuPerThousand, double ServerCpuPerThousand, (double Rss, double Peak) ClientMb, (double Rss, double Peak) ServerMb);

/// <summary>One direct/mesh pair.</summary>
internal sealed record RoundResult(int Number, PhaseResult Direct, PhaseResult Mesh, SidecarUsage Usage)
{
    public double Added(double p) => Mesh.Percentile(p) - Direct.Percentile(p);

    public void Print() => Console.WriteLine(
        FormattableString.Invariant($"round {Number}: direct p50 {Direct.Percentile(50):F2} p90 {Direct.Percentile(90):F2} p99 {Direct.Percentile(99):F2} ms ({Direct.AchievedRate:F0}/s, {Direct.Errors} errors) | ") +
        FormattableString.Invariant($"mesh p50 {Mesh.Percentile(50):F2} p90 {Mesh.Percentile(90):F2} p99 {Mesh.Percentile(99):F2} ms ({Mesh.AchievedRate:F0}/s, {Mesh.Errors} errors) | ") +
        FormattableString.Invariant($"added p50 {Added(50):F2} p90 {Added(90):F2} p99 {Added(99):F2} ms | CPU s/1000 req client {Usage.ClientCpuPerThousand:F3} server {Usage.ServerCpuPerThousand:F3} | ") +
        FormattableString.Invariant($"RSS MB client {Usage.ClientMb.Rss:F0} (peak {Usage.ClientMb.Peak:F0}) server {Usage.ServerMb.Rss:F0} (peak {Usage.ServerMb.Peak:F0})"));

    public static void PrintSummary(IReadOnlyList<RoundResult> rounds)
    {
        static double Median(IEnumerable<double> values)
        {
            var v = values.Order().ToArray();
            return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        }
        var cpu = Median(rounds.Select(r => Math.Max(r.Usage.ClientCpuPerThousand, r.Usage.ServerCpuPerThousand)));
        var rss = Median(rounds.Select(r => Math.Max(r.Usage.ClientMb.Rss, r.Usage.ServerMb.Rss)));
        Console.WriteLine();
        Console.WriteLine("| median of rounds | p50 | p90 | p99 |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| direct (ms) | {Median(rounds.Select(r => r.Direct.Percentile(50))):F2} | {Median(rounds.Select(r => r.Direct.Percentile(90))):F2} | {Median(rounds.Select(r => r.Direct.Percentile(99))):F2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| two sidecars (ms) | {Median(rounds.Select(r => r.Mesh.Percentile(50))):F2} | {Median(rounds.Select(r => r.Mesh.Percentile(90))):F2} | {Median(rounds.Select(r => r.Mesh.Percentile(99))):F2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| added (ms) | {Median(rounds.Select(r => r.Added(50))):F2} | {Median(rounds.Select(r => r.Added(90))):F2} | {Median(rounds.Select(r => r.Added(99))):F2} |"));
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant(
            $"per sidecar (the busier of the two, median): {cpu:F3} CPU s per 1,000 requests (= vCPU at 1,000 req/s), RSS {rss:F0} MB.") +
            " Targets: added p90 ≤ 1 ms, p99 ≤ 2 ms; ≤ 0.2 vCPU per 1,000 req/s; ≤ 60 MB.");
    }
}
