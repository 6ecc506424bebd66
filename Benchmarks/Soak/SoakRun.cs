using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Infrastructure.Samples.Lab;
using Infrastructure.Testing;

namespace Infrastructure.Soak;

/// <summary>One soak run: the lab started (or found), the traffic driven for the set time, every lab process sampled.</summary>
internal static class SoakRun
{
    public static async Task<SoakResult> RunAsync(SoakOptions options, TextWriter log, CancellationToken ct = default)
    {
        var labArgs = options.Attach ? options.LabArgs.ToList() : WithFreePorts(options.LabArgs);
        var plan = new LabPlan(LabCatalogue.All, LabOptions.Parse(labArgs));
        var command = options.Attach ? "(attached to a running lab)" : "lab " + string.Join(' ', labArgs);
        LabProcess? lab = null;
        var tally = new Tally();
        var logs = new LogWatch();
        var failures = new List<string>();
        var series = new List<ProcessSeries>();
        var started = DateTimeOffset.UtcNow;
        var loadTime = TimeSpan.Zero;
        double maxLagMs = 0;
        try
        {
            if (!options.Attach)
            {
                log.WriteLine($"soak: starting the lab: {string.Join(' ', labArgs)}");
                // The lab relays every process's request log; keep only a tail for error reports.
                lab = await LabProcess.StartAsync(labArgs, options.ReadyTimeout, keepLines: 400, onLine: logs.Line);
                log.WriteLine($"soak: lab ready (pid {lab.Pid})");
                series.Add(new ProcessSeries("lab", "lab", lab.Pid));
            }
            foreach (var instance in plan.Instances)
            {
                var pids = ProcessTable.Find($"--urls {instance.BaseUri.ToString().TrimEnd('/')} ");
                if (pids.Count != 1)
                {
                    throw new InvalidOperationException($"{pids.Count} processes run with --urls {instance.BaseUri} (expected 1 for {instance.Label})");
                }
                // Every lab server maps ServiceDefaults' /actuator/prometheus, open to anyone (read-only metrics).
                series.Add(new ProcessSeries(instance.Label, instance.Component.Name, pids[0], new Uri(instance.BaseUri, "actuator/prometheus")));
            }
            log.WriteLine("soak: sampling " + string.Join(", ", series.Select(s => $"{s.Name} (pid {s.Pid})")));

            var urls = new LabUrls(
                plan.Has("discovery") ? plan.UrlOf("discovery") : null,
                plan.Has("config") ? plan.UrlOf("config") : null,
                plan.Has("auth") ? plan.UrlOf("auth") : null,
                plan.Has("gateway") && plan.Has("catalog") && plan.Has("order") ? plan.UrlOf("gateway") : null,
                plan.Has("web-bff") ? plan.UrlOf("web-bff") : null);
            using var traffic = new Traffic(options, urls, tally);
            await traffic.WarmUpAsync(ct);
            using var csv = options.CsvPath is null ? null : new SampleCsv(options.CsvPath);
            using var sampler = new Sampler(series, tally, traffic, csv);

            log.WriteLine($"soak: {options.Duration.TotalMinutes:0.##} min at {options.Rate:0.##} req/s; login every {options.LoginEvery.TotalSeconds:0.#} s, refresh every {options.RefreshEvery.TotalSeconds:0.#} s, churn every {options.ChurnEvery.TotalSeconds:0.#} s; samples every {options.SampleEvery.TotalSeconds:0.#} s");
            var clock = Stopwatch.StartNew();
            started = sampler.LoadStarted = DateTimeOffset.UtcNow;
            logs.Start();
            var end = Stopwatch.GetTimestamp() + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
            await sampler.SampleAllAsync(0);
            using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var sampling = SampleLoopAsync(sampler, options, clock, tally, log, stopSampling.Token);
            await traffic.RunAsync(end, ct);
            await stopSampling.CancelAsync();
            await sampling;
            loadTime = clock.Elapsed;
            await sampler.SampleAllAsync(loadTime.TotalMinutes);
            logs.Stop();
            maxLagMs = traffic.MaxLagMs;
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            failures.Add("setup: " + ex.Message);
        }
        finally
        {
            if (lab is not null)
            {
                logs.Stop();
                // SIGTERM, which the lab handles as Ctrl+C: a shell starts a background job with SIGINT ignored, and .NET
                // leaves an ignored SIGINT ignored, so a harness run with `&` or nohup could not stop its lab with SIGINT.
                await lab.SignalAsync("TERM");
                if (!await lab.WaitForExitAsync(TimeSpan.FromSeconds(90)))
                {
                    failures.Add("the lab did not stop within 90 s of SIGTERM");
                }
                else if (lab.ExitCode != 0)
                {
                    failures.Add($"the lab exited with code {lab.ExitCode}");
                }
                if (failures.Count > 0 || tally.TotalErrors > 0) { log.WriteLine("soak: the lab's last lines:\n" + lab.Output); }
                await lab.DisposeAsync();
            }
        }
        return new SoakResult(options, command, started, loadTime, maxLagMs, tally, series, failures, logs);
    }

    private static async Task SampleLoopAsync(Sampler sampler, SoakOptions options, Stopwatch clock, Tally tally, TextWriter log, CancellationToken ct)
    {
        var next = options.SampleEvery;
        while (!ct.IsCancellationRequested)
        {
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try { await Task.Delay(wait, ct); }
                catch (OperationCanceledException) { return; }
            }
            var round = await sampler.SampleAllAsync(clock.Elapsed.TotalMinutes);
            var rss = round.Sum(s => s.Sample.RssKb) / 1024.0;
            var heap = round.Where(s => s.Sample.HeapAfterGcBytes >= 0).Sum(s => s.Sample.HeapAfterGcBytes) / 1048576.0;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"soak: {clock.Elapsed:hh\\:mm\\:ss}  requests {tally.TotalSent:N0}  errors {tally.TotalErrors:N0}  lab RSS {rss:0} MB  heaps after GC {heap:0} MB"));
            next += options.SampleEvery;
        }
    }

    /// <summary>The lab's arguments with --no-dashboard and a free port for every component the caller left on its default.</summary>
    internal static List<string> WithFreePorts(IReadOnlyList<string> labArgs)
    {
        var given = LabOptions.Parse(labArgs);
        var ports = new List<string>();
        var taken = new HashSet<int>(given.Ports.Values);
        foreach (var c in LabCatalogue.All)
        {
            if (given.Ports.ContainsKey(c.Name)) { continue; }
            var count = given.Scale.GetValueOrDefault(c.Name, c.Name == "catalog" ? 2 : 1);
            var first = FreeBlock(count, taken);
            ports.Add(string.Create(CultureInfo.InvariantCulture, $"{c.Name}={first}"));
        }
        var args = new List<string> { "--no-dashboard" };
        args.AddRange(labArgs.Where(a => a != "--no-dashboard"));
        if (ports.Count > 0)
        {
            args.Add("--port");
            args.Add(string.Join(',', ports));
        }
        return args;
    }

    /// <summary>The first of <paramref name="count"/> consecutive loopback ports that are free now and not handed out yet.</summary>
    private static int FreeBlock(int count, HashSet<int> taken)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var first = FreePort.Next();
            if (first + count > 65535) { continue; }
            var block = Enumerable.Range(first, count).ToList();
            if (block.All(p => !taken.Contains(p) && (p == first || IsFree(p))))
            {
                taken.UnionWith(block);
                return first;
            }
        }
        throw new InvalidOperationException($"no {count} consecutive free ports found");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
