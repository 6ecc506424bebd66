using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Infrastructure.Hosting.Processes;
using Infrastructure.ServiceDefaults;
using Yarp.ReverseProxy.Configuration;

// Loopback proxy benchmark: a fast backend measured directly, through bare YARP (the peer to beat), through YARP inside
// our ServiceDefaults (same logging/tracing/metrics as our servers) and through our Gateway, all with the same route
// (Path=/bench/**, StripPrefix=1), with wrk, interleaved so machine noise hits all of them.
//   dotnet run --project Benchmarks/Gateway.Benchmarks -c Release -- [--duration 10] [--rounds 2] [--connections 64] [-- gateway args]
// Each server runs as its own process (this program re-invoked as "backend" / "yarp" / "yarp-defaults", and Gateway.dll).
var mode = args.Length > 0 ? args[0] : "run";
switch (mode)
{
    case "backend":
        await RunBackendAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
        return 0;
    case "yarp":
        await RunYarpAsync(int.Parse(args[1], CultureInfo.InvariantCulture), args[2], withDefaults: false, args[3..]);
        return 0;
    case "yarp-defaults":
        await RunYarpAsync(int.Parse(args[1], CultureInfo.InvariantCulture), args[2], withDefaults: true, args[3..]);
        return 0;
    default:
        return await Harness.RunAsync(args);
}

static async Task RunBackendAsync(int port)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
    var app = builder.Build();
    app.Map("/{**path}", () => Results.Text("hello from the backend"));
    await app.RunAsync();
}

static async Task RunYarpAsync(int port, string backend, bool withDefaults, string[] args)
{
    WebApplicationBuilder builder;
    if (withDefaults)
    {
        // YARP inside the same ServiceDefaults as our servers (Serilog, OpenTelemetry traces and metrics, health):
        // the gap between this and bare YARP is what the observability costs, the rest is the proxy itself.
        builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
    }
    else
    {
        builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
    }
    builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
    builder.Services.AddReverseProxy().LoadFromMemory(
        [new RouteConfig
        {
            RouteId = "bench",
            ClusterId = "backend",
            Match = new RouteMatch { Path = "/bench/{**rest}" },
            Transforms = [new Dictionary<string, string> { ["PathRemovePrefix"] = "/bench" }],
        }],
        [new ClusterConfig { ClusterId = "backend", Destinations = new Dictionary<string, DestinationConfig> { ["d"] = new() { Address = backend } } }]);
    var app = builder.Build();
    if (withDefaults)
    {
        app.MapDefaultEndpoints();
    }
    app.MapReverseProxy();
    await app.RunAsync();
}

internal static class Harness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var duration = Option(args, "--duration", 10);
        var rounds = Option(args, "--rounds", 2);
        var connections = Option(args, "--connections", 64);
        var self = typeof(Harness).Assembly.Location;
        var root = RepositoryLayout.FindRoot(AppContext.BaseDirectory);
        var gatewayDll = RepositoryLayout.ProjectDll(root, "Gateway", "Release");
        if (!File.Exists(gatewayDll))
        {
            Console.Error.WriteLine($"{gatewayDll} not found: build with -c Release first.");
            return 2;
        }
        if (EngineBinaries.FindOnPath("wrk") is null)
        {
            Console.Error.WriteLine("wrk not found on PATH: apt-get install wrk (`dotnet pwsh ./build.ps1 bench gateway` installs it).");
            return 2;
        }
        var backendPort = LoopbackPort.Next();
        var yarpPort = LoopbackPort.Next();
        var yarpDefaultsPort = LoopbackPort.Next();
        var gatewayPort = LoopbackPort.Next();
        var gatewayLeanPort = LoopbackPort.Next();
        var backendUrl = $"http://127.0.0.1:{backendPort}";
        var processes = new List<ChildProcess>();
        try
        {
            processes.Add(Start("dotnet", [self, "backend", backendPort.ToString(CultureInfo.InvariantCulture)]));
            processes.Add(Start("dotnet", [self, "yarp", yarpPort.ToString(CultureInfo.InvariantCulture), backendUrl]));
            processes.Add(Start("dotnet",
            [
                self, "yarp-defaults", yarpDefaultsPort.ToString(CultureInfo.InvariantCulture), backendUrl,
                "--Serilog:MinimumLevel:Default=Warning", "--Serilog:MinimumLevel:Override:Serilog.AspNetCore.RequestLoggingMiddleware=Warning",
                .. GatewayArgs(args),
            ]));
            // The Gateway twice: with its defaults (every request traced, gateway/server metrics), and lean (tracing and
            // metrics off), which is what bare YARP carries: no spans, no meters. Each is compared with its like.
            processes.Add(StartGateway(gatewayDll, root, gatewayPort, backendUrl, GatewayArgs(args)));
            processes.Add(StartGateway(gatewayDll, root, gatewayLeanPort, backendUrl,
                ["--Tracing:Enabled=false", "--Metrics:Enable:all=false", .. GatewayArgs(args)]));
            var targets = new (string Name, string Url)[]
            {
                ("direct", $"{backendUrl}/hello"),
                ("yarp", $"http://127.0.0.1:{yarpPort}/bench/hello"),
                ("gw-lean", $"http://127.0.0.1:{gatewayLeanPort}/bench/hello"),
                ("yarp+sd", $"http://127.0.0.1:{yarpDefaultsPort}/bench/hello"),
                ("gateway", $"http://127.0.0.1:{gatewayPort}/bench/hello"),
            };
            foreach (var (_, url) in targets)
            {
                await WaitReadyAsync(url);
            }
            var results = targets.ToDictionary(t => t.Name, _ => new List<WrkResult>());
            // Warm-up: JIT tiering (a proxy needs several seconds of load to reach tier 1) and connection pools.
            foreach (var (_, url) in targets)
            {
                await WrkAsync(url, 5, connections);
            }
            for (var round = 0; round < rounds; round++)
            {
                // Each round starts at a different target: on a shared 2-core machine the position in the sequence moves
                // throughput by several percent, so no target keeps the same slot.
                for (var k = 0; k < targets.Length; k++)
                {
                    var (name, url) = targets[(round + k) % targets.Length];
                    var r = await WrkAsync(url, duration, connections);
                    results[name].Add(r);
                    Console.WriteLine($"round {round + 1} {name,-8} {r.RequestsPerSecond,10:N0} req/s  p50 {r.P50Ms,7:N2} ms  p99 {r.P99Ms,7:N2} ms  non-2xx {r.Non2xx}");
                }
            }
            Console.WriteLine();
            Console.WriteLine($"{"target",-8} {"req/s",10} {"p50 ms",8} {"p99 ms",8} {"non-2xx",8}   (mean of {rounds} rounds × {duration} s, {connections} connections, wrk -t2)");
            foreach (var (name, list) in results)
            {
                Console.WriteLine($"{name,-8} {list.Average(r => r.RequestsPerSecond),10:N0} {list.Average(r => r.P50Ms),8:N2} {list.Average(r => r.P99Ms),8:N2} {list.Sum(r => r.Non2xx),8}");
            }
            Ratio(results, "gw-lean", "yarp", "gateway lean / bare yarp (neither traces nor meters)");
            Ratio(results, "gateway", "yarp+sd", "gateway / yarp+sd (same ServiceDefaults)");
            Ratio(results, "gateway", "yarp", "gateway (defaults) / bare yarp");
            return 0;
        }
        finally
        {
            foreach (var p in processes)
            {
                p.Dispose();
            }
        }
    }

    private static void Ratio(Dictionary<string, List<WrkResult>> results, string target, string peer, string label)
    {
        var rps = results[target].Average(r => r.RequestsPerSecond) / results[peer].Average(r => r.RequestsPerSecond);
        var p99 = results[target].Average(r => r.P99Ms) / results[peer].Average(r => r.P99Ms);
        Console.WriteLine($"{label}: {rps:N2}× req/s, p99 {p99:N2}×");
    }

    private static ChildProcess StartGateway(string gatewayDll, string root, int port, string backendUrl, string[] extra) => Start("dotnet",
    [
        gatewayDll, "--urls", $"http://127.0.0.1:{port}",
        "--Gateway:Routes:0:Id=bench", $"--Gateway:Routes:0:Uri={backendUrl}",
        "--Gateway:Routes:0:Predicates:0=Path=/bench/**", "--Gateway:Routes:0:Filters:0=StripPrefix=1",
        // One log line per request would measure the console, not the proxy.
        "--Serilog:MinimumLevel:Default=Warning", "--Serilog:MinimumLevel:Override:Serilog.AspNetCore.RequestLoggingMiddleware=Warning",
        .. extra,
    ], root);

    private sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Non2xx);

    private static async Task<WrkResult> WrkAsync(string url, int seconds, int connections)
    {
        var wrk = await ProcessRunner.RunAsync(new ProcessSpec("wrk", ["-t2", $"-c{connections}", $"-d{seconds}s", "--latency", url]), TimeSpan.FromSeconds(seconds + 60));
        var output = wrk.StandardOutput;
        var rps = Number(output, @"Requests/sec:\s+([\d.]+)");
        var non2xx = Regex.Match(output, @"Non-2xx or 3xx responses:\s+(\d+)") is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new WrkResult(rps, Latency(output, "50%"), Latency(output, "99%"), non2xx);
    }

    private static double Number(string text, string pattern)
    {
        var m = Regex.Match(text, pattern);
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException("unexpected wrk output:\n" + text);
    }

    private static double Latency(string text, string percentile)
    {
        var m = Regex.Match(text, Regex.Escape(percentile) + @"\s+([\d.]+)(us|ms|s)");
        if (!m.Success)
        {
            throw new InvalidOperationException("unexpected wrk output:\n" + text);
        }
        var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => v / 1000, "s" => v * 1000, _ => v };
    }

    private static ChildProcess Start(string file, string[] arguments, string? workingDirectory = null)
    {
        var spec = new ProcessSpec(file, arguments)
        {
            WorkingDirectory = workingDirectory,
            KeepLines = 0,
            OnLine = line => { if (line.IsError) { Console.Error.WriteLine(line.Text); } },
        };
        spec.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return ChildProcess.Start(spec);
    }

    private static Task WaitReadyAsync(string url) =>
        Readiness.WaitForUrlAsync(new Uri(url), TimeSpan.FromSeconds(60), r => r.StatusCode == HttpStatusCode.OK, interval: TimeSpan.FromMilliseconds(200));

    /// <summary>Everything after <c>--</c> goes to the Gateway and to the YARP-with-ServiceDefaults peer, e.g. <c>-- --Tracing:SamplingProbability=0</c>.</summary>
    private static string[] GatewayArgs(string[] args)
    {
        var i = Array.IndexOf(args, "--");
        return i < 0 ? [] : args[(i + 1)..];
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
