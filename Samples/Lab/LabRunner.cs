using System.Diagnostics;

namespace Infrastructure.Samples.Lab;

/// <summary>Starts the plan's processes in dependency order, waits for each to be ready, and stops them all.</summary>
internal sealed class LabRunner(LabPlan plan, string root, bool noColor) : IAsyncDisposable
{
    private const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    // Shell that runs a third-party tool (which has no INFRA_PARENT_PID watchdog of its own) and stops it when the lab
    // is gone, even after a SIGKILL; SIGTERM from the lab is passed on.
    private const string OrphanGuard = """
        "$@" &
        child=$!
        trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT HUP
        while kill -0 "$child" 2>/dev/null; do
          if ! kill -0 "$INFRA_PARENT_PID" 2>/dev/null; then kill -TERM "$child"; wait "$child"; exit 0; fi
          sleep 1 & wait $!
        done
        wait "$child"
        """;

    private readonly List<(LabInstance Instance, ChildProcess Process)> _running = [];
    private readonly List<ChildProcess> _tools = [];
    private ChildProcess? _dashboard;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private Readiness Readiness => new(_http);

    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Infrastructure.sln"))) { return dir.FullName; }
            }
        }
        throw new InvalidOperationException("Infrastructure.sln not found: run the lab from the repository.");
    }

    public async Task<bool> StartAllAsync(CancellationToken ct)
    {
        var readiness = Readiness;
        var colour = 0;
        foreach (var instance in plan.Instances)
        {
            var c = instance.Component;
            var dll = Path.Combine(root, c.Project, "bin", Configuration, "net10.0", Path.GetFileName(c.Project) + ".dll");
            if (!File.Exists(dll))
            {
                Console.Error.WriteLine($"lab: {dll} is missing; build first (dotnet build Infrastructure.sln -c {Configuration}).");
                return false;
            }
            Console.WriteLine($"lab: starting {instance.Label} on {instance.BaseUri} ...");
            var env = LabCatalogue.CommonEnvironment(plan, instance);
            var process = ChildProcess.Start(instance.Label, colour++, noColor, "dotnet",
                [dll, "--urls", instance.BaseUri.ToString().TrimEnd('/')], env, Path.Combine(root, c.Project));
            _running.Add((instance, process));
            if (!await WaitReadyAsync(instance, process, readiness, ct)) { return false; }
        }
        return true;
    }

    /// <summary>Starts the Aspire Dashboard (not waiting for it) and points every process started afterwards at it.</summary>
    public void StartDashboard()
    {
        if (!plan.RunsDashboard) { return; }
        var exe = Monitoring.FindDashboard();
        if (exe is null)
        {
            plan.DashboardProblem = "not found (looked for " + string.Join(", ", Monitoring.DashboardCandidates()) + "); restore it with `dotnet restore Samples/Lab`";
            Console.WriteLine($"lab: Aspire Dashboard {plan.DashboardProblem}. Logs stay on this console only; no OTLP export.");
            return;
        }
        Console.WriteLine($"lab: starting the Aspire Dashboard on {plan.DashboardUri} (OTLP/HTTP on {plan.DashboardOtlpUri}) ...");
        _dashboard = StartTool("dashboard", exe, [], Monitoring.DashboardEnvironment(plan.DashboardUri, plan.DashboardOtlpUri));
        plan.Otlp = plan.DashboardOtlpUri;
    }

    /// <summary>Waits for the dashboard's read API; a dashboard that does not come up leaves the lab running without it.</summary>
    public async Task WaitDashboardAsync(CancellationToken ct)
    {
        if (_dashboard is null) { return; }
        var sw = Stopwatch.StartNew();
        var api = new Uri(plan.DashboardUri, "api/telemetry/resources");
        while (sw.Elapsed < plan.Options.ReadyTimeout && !ct.IsCancellationRequested)
        {
            if (_dashboard.HasExited)
            {
                plan.DashboardProblem = $"exited with code {_dashboard.ExitCode} (is port {plan.DashboardUri.Port} or {plan.DashboardOtlpUri.Port} taken? --port dashboard=N,dashboard-otlp=M)";
                Console.Error.WriteLine($"lab: Aspire Dashboard {plan.DashboardProblem}; the lab runs without it.");
                return;
            }
            if (await Readiness.AnswersAsync(api, ct))
            {
                Console.WriteLine($"lab: dashboard ready after {sw.Elapsed.TotalSeconds:0.0}s");
                return;
            }
            try { await Task.Delay(250, ct); } catch (OperationCanceledException) { return; }
        }
        plan.DashboardProblem = $"not answering on {api} after {sw.Elapsed.TotalSeconds:0}s";
        Console.Error.WriteLine($"lab: Aspire Dashboard {plan.DashboardProblem}.");
    }

    /// <summary>Starts Prometheus on a scrape config of every running instance, storing in <paramref name="folder"/>.</summary>
    public async Task StartPrometheusAsync(string folder, CancellationToken ct)
    {
        var exe = Monitoring.FindPrometheus();
        if (exe is null)
        {
            plan.PrometheusProblem = "skipped: no /usr/bin/prometheus (apt-get install prometheus)";
            Console.WriteLine($"lab: --with-prometheus {plan.PrometheusProblem}.");
            return;
        }
        var config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config, Monitoring.PrometheusConfig(plan.Instances), ct);
        Console.WriteLine($"lab: starting Prometheus on {plan.PrometheusUri} (config {config}) ...");
        var prometheus = StartTool("prometheus", exe, Monitoring.PrometheusArguments(config, Path.Combine(folder, "data"), plan.PrometheusUri.Port), new Dictionary<string, string>());
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < plan.Options.ReadyTimeout && !ct.IsCancellationRequested)
        {
            if (prometheus.HasExited)
            {
                plan.PrometheusProblem = $"exited with code {prometheus.ExitCode} (is port {plan.PrometheusUri.Port} taken? --port prometheus=N)";
                Console.Error.WriteLine($"lab: Prometheus {plan.PrometheusProblem}.");
                return;
            }
            if (await Readiness.AnswersAsync(new Uri(plan.PrometheusUri, "-/ready"), ct))
            {
                plan.PrometheusRunning = true;
                Console.WriteLine($"lab: Prometheus ready after {sw.Elapsed.TotalSeconds:0.0}s");
                return;
            }
            try { await Task.Delay(250, ct); } catch (OperationCanceledException) { return; }
        }
        plan.PrometheusProblem = $"not ready after {sw.Elapsed.TotalSeconds:0}s";
        Console.Error.WriteLine($"lab: Prometheus {plan.PrometheusProblem}.");
    }

    private ChildProcess StartTool(string label, string exe, IEnumerable<string> args, Dictionary<string, string> env)
    {
        env["INFRA_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var dir = Path.GetDirectoryName(exe)!;
        var process = OperatingSystem.IsWindows()
            ? ChildProcess.Start(label, _tools.Count + 7, noColor, exe, args, env, dir)
            : ChildProcess.Start(label, _tools.Count + 7, noColor, "/bin/sh", ["-c", OrphanGuard, label, exe, .. args], env, dir);
        _tools.Add(process);
        return process;
    }

    private async Task<bool> WaitReadyAsync(LabInstance instance, ChildProcess process, Readiness readiness, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var healthy = false;
        var lastNote = TimeSpan.Zero;
        while (sw.Elapsed < plan.Options.ReadyTimeout)
        {
            if (ct.IsCancellationRequested) { return false; }
            if (process.HasExited)
            {
                Console.Error.WriteLine($"lab: {instance.Label} exited with code {process.ExitCode} before it was ready (its log is above).");
                return false;
            }
            if (!healthy && await readiness.IsHealthyAsync(instance, ct))
            {
                healthy = true;
                Console.WriteLine($"lab: {instance.Label} healthy after {sw.Elapsed.TotalSeconds:0.0}s");
            }
            if (healthy)
            {
                var app = instance.Component.EurekaApp;
                if (app is null || !plan.Has("discovery")) { return true; }
                if (await readiness.IsRegisteredUpAsync(plan.UrlOf("discovery"), app, instance.Port, ct))
                {
                    Console.WriteLine($"lab: {instance.Label} registered UP as {app}");
                    return true;
                }
            }
            if (sw.Elapsed - lastNote > TimeSpan.FromSeconds(5))
            {
                lastNote = sw.Elapsed;
                if (lastNote > TimeSpan.Zero)
                {
                    Console.WriteLine($"lab: ... waiting for {instance.Label} ({(healthy ? "registry" : "health")}, {sw.Elapsed.TotalSeconds:0}s)");
                }
            }
            try { await Task.Delay(250, ct); } catch (OperationCanceledException) { return false; }
        }
        Console.Error.WriteLine($"lab: {instance.Label} not ready after {plan.Options.ReadyTimeout.TotalSeconds:0}s (waiting for {(healthy ? "its registration" : "/actuator/health")}).");
        return false;
    }

    public void PrintTable(TimeSpan elapsed)
    {
        var rows = plan.Instances.Select(i => (i.Label, Url: i.BaseUri.ToString(), Open: new Uri(i.BaseUri, i.Component.OpenPath).ToString(), i.Component.Hint)).ToList();
        if (_dashboard is not null && plan.DashboardProblem is null)
        {
            rows.Add(("dashboard", plan.DashboardUri.ToString(), new Uri(plan.DashboardUri, "structuredlogs").ToString(), "logs, traces and metrics of every process: search by trace id"));
        }
        if (plan.PrometheusRunning)
        {
            rows.Add(("prometheus", plan.PrometheusUri.ToString(), new Uri(plan.PrometheusUri, "targets").ToString(), "Prometheus scraping every /actuator/prometheus"));
        }
        var w1 = Math.Max(9, rows.Select(r => r.Label.Length).DefaultIfEmpty(0).Max());
        var w2 = Math.Max(3, rows.Select(r => r.Url.Length).DefaultIfEmpty(0).Max());
        Console.WriteLine();
        Console.WriteLine($"Lab ready in {elapsed.TotalSeconds:0.0}s: {rows.Count} processes. Ctrl+C stops them all.");
        Console.WriteLine($"{"component".PadRight(w1)}  {"url".PadRight(w2)}  open first");
        Console.WriteLine($"{new string('-', w1)}  {new string('-', w2)}  {new string('-', 10)}");
        foreach (var r in rows) { Console.WriteLine($"{r.Label.PadRight(w1)}  {r.Url.PadRight(w2)}  {r.Open}  ({r.Hint})"); }
        if (plan.Options.WithPostgres) { Console.WriteLine(plan.Postgres is null ? "PostgreSQL: not started, embedded stores in use." : $"PostgreSQL: {plan.Postgres}"); }
        if (plan.Options.WithRedis) { Console.WriteLine(plan.Redis is null ? "Redis: not started, in-memory sessions and limits in use." : $"Redis: {plan.Redis}"); }
        if (plan.RunsDashboard && plan.DashboardProblem is not null) { Console.WriteLine($"Aspire Dashboard: {plan.DashboardProblem}; logs only on this console."); }
        if (plan.Options.WithPrometheus && !plan.PrometheusRunning) { Console.WriteLine($"Prometheus: {plan.PrometheusProblem}."); }
        Console.WriteLine("Labs: docs/labs/ (start with docs/labs/service-discovery.md)");
        Console.WriteLine();
    }

    /// <summary>Runs until cancelled; reports a process that dies on its own, leaving the rest running.</summary>
    public async Task WatchAsync(CancellationToken ct)
    {
        var reported = new HashSet<int>();
        while (!ct.IsCancellationRequested)
        {
            foreach (var (instance, process) in _running)
            {
                if (process.HasExited && reported.Add(process.Pid))
                {
                    Console.Error.WriteLine($"lab: {instance.Label} exited with code {process.ExitCode}; the rest keep running.");
                }
            }
            foreach (var tool in _tools)
            {
                if (tool.HasExited && reported.Add(tool.Pid))
                {
                    Console.Error.WriteLine($"lab: {(tool == _dashboard ? "the Aspire Dashboard" : "Prometheus")} exited with code {tool.ExitCode}; the rest keep running.");
                }
            }
            try { await Task.Delay(500, ct); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>Stops in reverse dependency order, so services deregister while the registry is still up.</summary>
    public async Task StopAllAsync()
    {
        foreach (var (_, process) in Enumerable.Reverse(_running))
        {
            await process.StopAsync(TimeSpan.FromSeconds(10));
        }
        // The viewers last, so the services' final log lines and spans still reach them.
        foreach (var tool in Enumerable.Reverse(_tools))
        {
            await tool.StopAsync(TimeSpan.FromSeconds(10));
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var (_, process) in _running) { process.Dispose(); }
        _running.Clear();
        foreach (var tool in _tools) { tool.Dispose(); }
        _tools.Clear();
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
