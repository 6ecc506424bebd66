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

    private readonly List<(LabInstance Instance, ChildProcess Process)> _running = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };

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
        var readiness = new Readiness(_http);
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
        var w1 = Math.Max(9, rows.Max(r => r.Label.Length));
        var w2 = Math.Max(3, rows.Max(r => r.Url.Length));
        Console.WriteLine();
        Console.WriteLine($"Lab ready in {elapsed.TotalSeconds:0.0}s: {rows.Count} processes. Ctrl+C stops them all.");
        Console.WriteLine($"{"component".PadRight(w1)}  {"url".PadRight(w2)}  open first");
        Console.WriteLine($"{new string('-', w1)}  {new string('-', w2)}  {new string('-', 10)}");
        foreach (var r in rows) { Console.WriteLine($"{r.Label.PadRight(w1)}  {r.Url.PadRight(w2)}  {r.Open}  ({r.Hint})"); }
        if (plan.Options.WithPostgres) { Console.WriteLine(plan.Postgres is null ? "PostgreSQL: not started, embedded stores in use." : $"PostgreSQL: {plan.Postgres}"); }
        if (plan.Options.WithRedis) { Console.WriteLine(plan.Redis is null ? "Redis: not started, in-memory sessions and limits in use." : $"Redis: {plan.Redis}"); }
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
    }

    public ValueTask DisposeAsync()
    {
        foreach (var (_, process) in _running) { process.Dispose(); }
        _running.Clear();
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
