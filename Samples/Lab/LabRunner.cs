using System.Diagnostics;
using Infrastructure.Hosting.Processes;

namespace Infrastructure.Samples.Lab;

/// <summary>Starts the plan's processes in dependency order, waits for each to be ready, and stops them all.</summary>
internal sealed class LabRunner(LabPlan plan, string root, bool noColor) : IAsyncDisposable
{
    internal const string Configuration =
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

    private static readonly string[] Colours = ["36", "32", "33", "35", "34", "96", "92", "93", "95", "94"];
    private static readonly Lock ConsoleLock = new();
    private readonly List<(LabInstance Instance, ChildProcess Process)> _running = [];
    private readonly List<ChildProcess> _tools = [];
    private ChildProcess? _dashboard;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private Readiness Readiness => new(_http);

    /// <summary>Starts a process whose every line goes to the console behind its label, coloured unless <c>--no-color</c>.</summary>
    private ChildProcess Launch(string label, int colourIndex, string fileName, IEnumerable<string> args, IDictionary<string, string> env, string workingDirectory)
    {
        var padded = label.PadRight(12);
        var prefix = noColor ? $"{padded}| " : $"\u001b[{Colours[colourIndex % Colours.Length]}m{padded}|\u001b[0m ";
        var spec = new ProcessSpec(fileName, args)
        {
            WorkingDirectory = workingDirectory,
            DetachInput = true,
            KeepLines = 0,
            OnLine = line => { lock (ConsoleLock) { Console.Out.WriteLine(prefix + line.Text); } },
        };
        foreach (var (k, v) in env) { spec.Environment[k] = v; }
        return ChildProcess.Start(spec);
    }

    public async Task<bool> StartAllAsync(CancellationToken ct)
    {
        var readiness = Readiness;
        var colour = 0;
        if (plan.MeshConfigFolder is { } meshConfig) { ResetMeshConfig(meshConfig); }
        foreach (var instance in plan.Instances)
        {
            var c = instance.Component;
            // A Bookinfo sample starts through its sidecar, which starts the app once it is ready.
            var dll = RepositoryLayout.ProjectDll(root, c.Workload is null ? c.Project : MeshWorkload.SidecarProject, Configuration);
            if (!File.Exists(dll))
            {
                Console.Error.WriteLine($"lab: {dll} is missing; build first (dotnet build Infrastructure.sln -c {Configuration}).");
                return false;
            }
            Console.WriteLine($"lab: starting {instance.Label} on {instance.BaseUri}{(c.Workload is { } w ? $" behind its sidecar (inbound {w.InboundPort(instance)}, outbound {w.OutboundPort(instance)}, admin {w.AdminPort(instance)})" : "")} ...");
            var env = LabCatalogue.CommonEnvironment(plan, instance);
            IEnumerable<string> args = c.Workload is { } workload
                ? [dll, .. workload.SidecarArguments(plan, instance, root)]
                : [dll, "--urls", instance.BaseUri.ToString().TrimEnd('/'), .. c.Arguments?.Invoke(plan, instance) ?? []];
            var process = Launch(instance.Label, colour++, "dotnet", args, env, c.Workload is null ? Path.Combine(root, c.Project) : root);
            _running.Add((instance, process));
            if (!await WaitReadyAsync(instance, process, readiness, ct)) { return false; }
        }
        return true;
    }

    /// <summary>The folder the mesh's control plane watches: a fresh copy of <c>Samples/Mesh/config</c> at every start, for the student to edit.</summary>
    private void ResetMeshConfig(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var old in Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)))
        {
            File.Delete(old);
        }
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "Samples", "Mesh", "config"), "*.yaml"))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
        Console.WriteLine($"lab: mesh config in {folder} (a fresh copy of Samples/Mesh/config)");
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
            ? Launch(label, _tools.Count + 7, exe, args, env, dir)
            : Launch(label, _tools.Count + 7, "/bin/sh", ["-c", OrphanGuard, label, exe, .. args], env, dir);
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
            if (!healthy && await readiness.IsHealthyAsync(HealthUrl(instance), ct))
            {
                healthy = true;
                Console.WriteLine($"lab: {instance.Label} healthy after {sw.Elapsed.TotalSeconds:0.0}s");
            }
            if (healthy)
            {
                var app = instance.Component.EurekaApp;
                if (app is null || !plan.Has("discovery")) { return true; }
                // A sidecar registers its app with the inbound port: callers reach the app through it.
                var registeredPort = instance.Component.Workload?.InboundPort(instance) ?? instance.Port;
                if (await readiness.IsRegisteredUpAsync(plan.UrlOf("discovery"), app, registeredPort, ct))
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
        Console.Error.WriteLine($"lab: {instance.Label} not ready after {plan.Options.ReadyTimeout.TotalSeconds:0}s (waiting for {(healthy ? "its registration" : HealthUrl(instance).ToString())}).");
        return false;
    }

    /// <summary>A server's <c>/actuator/health</c>; for a Bookinfo sample its sidecar's <c>/ready</c> (certificates, first config, registration, app started).</summary>
    private static Uri HealthUrl(LabInstance instance) =>
        instance.Component.Workload is { } w ? new Uri(w.AdminUri(instance), "ready") : new Uri(instance.BaseUri, "actuator/health");

    public void PrintTable(TimeSpan elapsed)
    {
        // One row per page a student opens; a component's further pages follow its first, under blank name and url.
        var rows = new List<(string Label, string Url, string Open, string Hint)>();
        void Add(string label, Uri url, string path, string hint, IEnumerable<(string Path, string Hint)> more)
        {
            rows.Add((label, url.ToString(), new Uri(url, path).ToString(), hint));
            foreach (var page in more) { rows.Add(("", "", new Uri(url, page.Path).ToString(), page.Hint)); }
        }
        foreach (var i in plan.Instances)
        {
            Add(i.Label, i.BaseUri, i.Component.OpenPath, i.Component.Hint, i.Component.MorePages);
            if (i.Component.Workload is { } w)
            {
                rows.Add(("", "", new Uri(w.AdminUri(i), "config_dump").ToString(), $"its sidecar's config; inbound {w.InboundPort(i)}, outbound {w.OutboundPort(i)}"));
            }
        }
        var processes = plan.Instances.Count;
        if (_dashboard is not null && plan.DashboardProblem is null)
        {
            Add("dashboard", plan.DashboardUri, "structuredlogs", "logs, traces and metrics of every process: search by trace id",
                [("traces", "every request's trace across gateway, services and registry")]);
            processes++;
        }
        if (plan.PrometheusRunning)
        {
            Add("prometheus", plan.PrometheusUri, "targets", "Prometheus scraping every /actuator/prometheus", [("graph", "query the scraped metrics")]);
            processes++;
        }
        var w1 = Math.Max(9, rows.Select(r => r.Label.Length).DefaultIfEmpty(0).Max());
        var w2 = Math.Max(3, rows.Select(r => r.Url.Length).DefaultIfEmpty(0).Max());
        Console.WriteLine();
        Console.WriteLine($"Lab ready in {elapsed.TotalSeconds:0.0}s: {processes} processes. Ctrl+C stops them all.");
        Console.WriteLine($"{"component".PadRight(w1)}  {"url".PadRight(w2)}  open");
        Console.WriteLine($"{new string('-', w1)}  {new string('-', w2)}  {new string('-', 10)}");
        foreach (var r in rows) { Console.WriteLine($"{r.Label.PadRight(w1)}  {r.Url.PadRight(w2)}  {r.Open}  ({r.Hint})"); }
        if (plan.Options.Zipkin is not null) { Console.WriteLine($"Zipkin: every process also sends its spans to {plan.Options.Zipkin}"); }
        if (plan.Options.WithPostgres) { Console.WriteLine(plan.Postgres is null ? "PostgreSQL: not started, embedded stores in use." : $"PostgreSQL: {plan.Postgres}"); }
        if (plan.Options.WithRedis) { Console.WriteLine(plan.Redis is null ? "Redis: not started, in-memory sessions and limits in use." : $"Redis: {plan.Redis}"); }
        if (plan.RunsDashboard && plan.DashboardProblem is not null) { Console.WriteLine($"Aspire Dashboard: {plan.DashboardProblem}; logs only on this console."); }
        if (plan.Options.WithPrometheus && !plan.PrometheusRunning) { Console.WriteLine($"Prometheus: {plan.PrometheusProblem}."); }
        if (plan.MeshConfigFolder is not null)
        {
            Console.WriteLine($"Mesh config: {plan.MeshConfigFolder} (edit or add Istio YAML; the control plane pushes it to every sidecar within a second)");
        }
        Console.WriteLine(plan.Options.Mesh
            ? "Labs: docs/labs/ (the mesh: docs/labs/service-mesh.md)"
            : "Labs: docs/labs/ (start with docs/labs/service-discovery.md)");
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
