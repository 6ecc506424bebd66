using System.Globalization;
using System.Text.Json;
using Infrastructure.Samples.Lab;
using Infrastructure.Soak;
using Infrastructure.Testing;
using Xunit.Abstractions;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>
/// The soak harness (<c>Benchmarks/Soak</c>, <c>build.ps1 soak</c>) for 60 seconds: the whole lab on free ports under its
/// fixed rate, with logins, config refreshes and registry churn. Proves the harness works end to end — every kind of
/// traffic answered without one error, no process exited or logged an error, every lab process sampled (each .NET
/// server's heap after GC from its /actuator/prometheus), every sample in the CSV. Growth is not asserted: a minute is
/// too short and too noisy to tell a trend (the long runs and their figures are in docs/reliability.md, "Load and
/// soak"); the judging itself is tested on made-up series.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Soak60Seconds_WholeLabOnFreePorts_NoRequestErrors_EveryProcessSampled()
    {
        var csv = Path.Combine(Path.GetTempPath(), $"soak-{Guid.NewGuid():N}.csv");
        var options = SoakOptions.Parse(["--seconds", "60", "--rate", "20", "--ramp-seconds", "10", "--sample-seconds", "5",
            "--login-seconds", "5", "--refresh-seconds", "5", "--churn-seconds", "5", "--csv", csv]);
        using var log = new StringWriter();
        var result = await SoakRun.RunAsync(options, log);
        output.WriteLine(log.ToString());
        output.WriteLine(result.Report());
        string[] rows;
        try { rows = await File.ReadAllLinesAsync(csv); }
        finally { File.Delete(csv); }

        Assert.True(result.LoadTime >= TimeSpan.FromSeconds(60), result.Report());
        // Not the lab's default ports: other labs on this machine are left alone.
        Assert.DoesNotContain("8080", result.LabCommand.Split([' ', ',', '='], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--no-dashboard", result.LabCommand, StringComparison.Ordinal);

        // Every kind of traffic ran, and nothing failed.
        foreach (var kind in new[] { "token", "catalog GET", "order POST", "web-bff login", "config refresh", "registry churn" })
        {
            Assert.True(result.Tally.Requests.TryGetValue(kind, out var stats) && stats.Ok > 0, $"no successful '{kind}':\n{result.Report()}");
        }
        Assert.True(result.Tally.Errors.IsEmpty, result.Report());
        Assert.True(result.Tally.Requests["catalog GET"].Sent >= 250, result.Report());
        Assert.DoesNotContain(result.Processes, p => p.Exited);
        // Nor did a server log an error where no client saw it.
        Assert.Equal(0, result.Logs.Errors);

        // Figures for the launcher and every process of the lab, from the first sample to the last.
        var expected = new[] { "lab", "discovery", "config", "auth", "catalog#1", "catalog#2", "order", "gateway", "web-bff", "mobile-bff" };
        Assert.Equal(expected.Order(), result.Processes.Select(p => p.Name).Order());
        foreach (var p in result.Processes)
        {
            Assert.True(p.Samples.Count >= 10, $"{p.Name}: {p.Samples.Count} samples");
            Assert.All(p.Samples, s => Assert.True(s.RssKb > 0 && s.Handles > 0 && s.Threads > 0, $"{p.Name}: {s}"));
            // Every .NET server's GC heap after its last collection, scraped at every sample (the launcher has no metrics page).
            if (p.Name == "lab")
            {
                Assert.Null(p.Metrics);
            }
            else
            {
                Assert.All(p.Samples, s => Assert.True(s.HeapAfterGcBytes > 0 && s.Gen2Collections >= 0, $"{p.Name}: {s}"));
                Assert.False(double.IsNaN(result.Heap(p).SlopePerMinute), p.Name);
            }
            Assert.False(double.IsNaN(result.Rss(p).SlopePerMinute), p.Name);
            Assert.False(double.IsNaN(result.Handles(p).SlopePerMinute), p.Name);
            Assert.False(double.IsNaN(result.Threads(p).SlopePerMinute), p.Name);
        }
        Assert.False(result.GrowthJudged);
        Assert.Equal(0, result.ExitCode);
        // The orders the run placed (Order.Service keeps them all) rise with the samples.
        var order = result.Processes.Single(p => p.Name == "order");
        Assert.True(order.Samples[^1].OrdersPlaced > order.Samples[0].OrdersPlaced + 100, result.Report());

        // The CSV holds every sample, as the run wrote them.
        Assert.Equal(SampleCsv.Header, rows[0]);
        Assert.Equal(result.Processes.Sum(p => p.Samples.Count), rows.Length - 1);
        var gateway = rows.Skip(1).Select(r => r.Split(',')).Where(c => c[2] == "gateway").ToList();
        Assert.Equal(result.Processes.Single(p => p.Name == "gateway").Samples.Count, gateway.Count);
        Assert.All(gateway, c => Assert.True(double.Parse(c[5], CultureInfo.InvariantCulture) > 0, string.Join(',', c)));
        Assert.All(rows.Skip(1).Select(r => r.Split(',')).Where(c => c[2] == "lab"), c => Assert.Equal("", c[5]));
        // The lab and everything it started are gone.
        foreach (var p in result.Processes)
        {
            Assert.Null(ProcessSeries.Read(p.Pid));
        }
    }

    [Fact]
    public void WebBffOnMovedPorts_AuthServerAcceptsItsRedirectUris()
    {
        // The lab points client 1 of Auth.Server's Development clients at where each web-bff really runs.
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "Auth.Server", "appsettings.Development.json")));
        Assert.Equal("web-bff", settings.RootElement.GetProperty("Auth").GetProperty("Clients")[1].GetProperty("ClientId").GetString());

        var plan = new LabPlan(LabCatalogue.All, LabOptions.Parse(["--port", "web-bff=47100", "--scale", "web-bff=2"]));
        var auth = plan.Instances.Single(i => i.Component.Name == "auth");
        var env = LabCatalogue.CommonEnvironment(plan, auth);
        Assert.Equal("http://127.0.0.1:47100/signin-oidc", env["Auth__Clients__1__RedirectUris__0"]);
        Assert.Equal("http://127.0.0.1:47101/signin-oidc", env["Auth__Clients__1__RedirectUris__1"]);
        Assert.Equal("http://127.0.0.1:47101/signout-callback-oidc", env["Auth__Clients__1__PostLogoutRedirectUris__1"]);
    }

    [Fact]
    public void FreePorts_EveryComponentMoved_UserPortsKept()
    {
        var args = SoakRun.WithFreePorts(["--port", "gateway=47080", "--scale", "catalog=3"]);
        var options = LabOptions.Parse(args);
        Assert.True(options.NoDashboard);
        Assert.Equal(47080, options.Ports["gateway"]);
        var plan = new LabPlan(LabCatalogue.All, options);
        foreach (var c in LabCatalogue.All.Where(c => c.Name != "gateway"))
        {
            Assert.NotEqual(c.Port, options.Ports[c.Name]);
        }
        var catalogs = plan.Instances.Where(i => i.Component.Name == "catalog").Select(i => i.Port).ToList();
        Assert.Equal(3, catalogs.Count);
        Assert.Equal(plan.Instances.Count, plan.Instances.Select(i => i.Port).Distinct().Count());
    }

    [Fact]
    public void RuntimeMetrics_HeapAfterGcSummedOverGenerations_FullCollectionsRead()
    {
        // As OpenTelemetry's Prometheus exporter writes .NET's System.Runtime meter (scraped from Discovery.Server).
        const string page = """
            # TYPE dotnet_gc_collections_total counter
            dotnet_gc_collections_total{otel_scope_name="System.Runtime",gc_heap_generation="gen2"} 7
            dotnet_gc_collections_total{otel_scope_name="System.Runtime",gc_heap_generation="gen1"} 40
            dotnet_gc_last_collection_heap_fragmentation_size_bytes{otel_scope_name="System.Runtime",gc_heap_generation="gen2"} 18576
            # TYPE dotnet_gc_last_collection_heap_size_bytes gauge
            dotnet_gc_last_collection_heap_size_bytes{otel_scope_name="System.Runtime",gc_heap_generation="gen0"} 0
            dotnet_gc_last_collection_heap_size_bytes{otel_scope_name="System.Runtime",gc_heap_generation="gen1"} 148784
            dotnet_gc_last_collection_heap_size_bytes{otel_scope_name="System.Runtime",gc_heap_generation="gen2"} 1745488
            dotnet_gc_last_collection_heap_size_bytes{otel_scope_name="System.Runtime",gc_heap_generation="loh"} 3159328 1700000000000
            dotnet_gc_last_collection_heap_size_bytes{otel_scope_name="System.Runtime",gc_heap_generation="poh"} 24528
            dotnet_gc_last_collection_memory_committed_size_bytes{otel_scope_name="System.Runtime"} 9621504
            """;
        Assert.Equal(new RuntimeMetrics(148784 + 1745488 + 3159328 + 24528, 7), RuntimeMetrics.Parse(page));
        Assert.Equal(new RuntimeMetrics(-1, -1), RuntimeMetrics.Parse("process_cpu_count 2\n"));
    }

    [Fact]
    public void Judging_SecondHalfSlopes_HeapFdsThreads_OrdersKeptAllowed_RssOnlyWhenAsked()
    {
        // Ten minutes sampled every 10 s: the judged half is minutes 5..10.
        ProcessSeries Series(string name, string component, Func<double, double> heapMb, Func<double, double>? rssMb = null,
            Func<double, int>? fds = null, Func<double, int>? threads = null)
        {
            var s = new ProcessSeries(name, component, 1, new Uri("http://127.0.0.1:1/actuator/prometheus"));
            for (var i = 0; i <= 60; i++)
            {
                var minute = i / 6.0;
                s.Add(new ProcessSample(minute, (long)((rssMb?.Invoke(minute) ?? 150) * 1024), fds?.Invoke(minute) ?? 300,
                    threads?.Invoke(minute) ?? 20, (long)(heapMb(minute) * 1048576), i / 20, i * 200L));
            }
            return s;
        }
        SoakResult Judge(string[] args, params ProcessSeries[] processes) =>
            new(SoakOptions.Parse(["--minutes", "10", "--min-judged-minutes", "5", .. args]), "lab", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(10), 0, new Tally(), processes, []);

        // A heap that settles after a warm-up passes, whatever the first half did; RSS growth is only reported.
        var settled = Series("catalog#1", "catalog", m => m < 5 ? 5 + 4 * m : 25 + (m % 1 < 0.5 ? 0.5 : -0.5), rssMb: m => 120 + 5 * m);
        var ok = Judge([], settled);
        Assert.True(ok.GrowthJudged);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal(5, ok.Rss(settled).SlopePerMinute, 3);

        // A heap that keeps growing does not.
        var leak = Judge([], Series("gateway", "gateway", m => 20 + 1.5 * m));
        Assert.Contains(leak.Failures, f => f.StartsWith("gateway: heap after GC grows 1.5 MB/min", StringComparison.Ordinal));

        // Order.Service keeps every order by design: 1200 orders a minute at 1500 bytes each (1.72 MB/min) pass there,
        // and only there; 5 KB an order does not.
        Func<double, double> kept = m => 15 + m * 1200 * 1500 / 1048576.0;
        var orders = Judge([], Series("order", "order", kept));
        Assert.Equal(0, orders.ExitCode);
        Assert.Equal(1200, orders.OrdersPerMinute, 6);
        Assert.Contains("about 1500 bytes per order", orders.Report(), StringComparison.Ordinal);
        Assert.NotEqual(0, Judge([], Series("catalog#1", "catalog", kept)).ExitCode);
        var tooMuch = Judge([], Series("order", "order", m => 15 + m * 1200 * 5000 / 1048576.0));
        Assert.Contains(tooMuch.Failures, f => f.StartsWith("order: heap after GC grows", StringComparison.Ordinal));

        // A heap that rises 8 MB/min between full collections (minutes 5.2, 6.7, 8.2) yet is 20 MB after each: garbage
        // that lesser collections promoted, not growth; without those collections the same figures fail.
        var sawtooth = new ProcessSeries("auth", "auth", 1, new Uri("http://127.0.0.1:1/actuator/prometheus"));
        var noFull = new ProcessSeries("auth", "auth", 1, new Uri("http://127.0.0.1:1/actuator/prometheus"));
        int[] fullAt = [31, 40, 49];
        for (var i = 0; i <= 60; i++)
        {
            var last = fullAt.Where(g => g <= i).DefaultIfEmpty(i).Max();
            var heap = (long)((20 + 8 * (i - last) / 6.0) * 1048576);
            sawtooth.Add(new ProcessSample(i / 6.0, 150 * 1024, 300, 20, heap, fullAt.Count(g => g <= i)));
            noFull.Add(new ProcessSample(i / 6.0, 150 * 1024, 300, 20, heap, 0));
        }
        var promoted = Judge([], sawtooth);
        Assert.True(promoted.Heap(sawtooth).SlopePerMinute > 1, promoted.Report());
        Assert.Equal(0, sawtooth.AfterFullCollections(5).SlopePerMinute, 6);
        Assert.True(promoted.ExitCode == 0, promoted.Report());
        Assert.Contains(Judge([], noFull).Failures, f => f.StartsWith("auth: heap after GC grows", StringComparison.Ordinal));

        // Open fds and threads that keep rising; RSS when a threshold is given.
        var handles = Judge([], Series("auth", "auth", _ => 12, fds: m => 300 + (int)(10 * m)));
        Assert.Contains(handles.Failures, f => f.StartsWith("auth: open fds grows", StringComparison.Ordinal));
        var threads = Judge([], Series("auth", "auth", _ => 12, threads: m => 20 + (int)(3 * m)));
        Assert.Contains(threads.Failures, f => f.StartsWith("auth: threads grows", StringComparison.Ordinal));
        var rss = Judge(["--max-rss-slope", "2"], settled);
        Assert.Contains(rss.Failures, f => f.StartsWith("catalog#1: RSS grows 5 MB/min", StringComparison.Ordinal));

        // A heap that could not be read is not a pass.
        var unread = new ProcessSeries("web-bff", "web-bff", 1, new Uri("http://127.0.0.1:1/actuator/prometheus"));
        for (var i = 0; i <= 60; i++) { unread.Add(new ProcessSample(i / 6.0, 150 * 1024, 300, 20)); }
        Assert.Contains(Judge([], unread).Failures, f => f.StartsWith("web-bff: heap after GC read in 0 of 61 samples", StringComparison.Ordinal));
    }

    [Fact]
    public void LogWatch_WarningsAndErrorsPerProcess_OnlyWhileTheLoadRuns()
    {
        var logs = new LogWatch();
        logs.Line("gateway     | [17:55:38 ERR] before the load");
        logs.Start();
        logs.Line("gateway     | [17:55:38 INF] Infrastructure.Gateway.Routing.RouteLocator: Loaded 5 routes (registry changed) ");
        logs.Line("gateway     | [17:55:39 ERR] Infrastructure.Gateway: boom");
        logs.Line("mobile-bff#2| [17:55:39 WRN] Something: slow");
        logs.Line("order       | [17:55:40 FTL] Host: down");
        logs.Line("order       | not a log line ERR] at all");
        logs.Stop();
        logs.Line("order       | [17:55:41 ERR] while stopping");
        Assert.Equal(2, logs.Errors);
        Assert.Equal(1, logs.Warnings);
        Assert.Equal(1, logs.Counts[("mobile-bff#2", "WRN")]);
        Assert.Equal(2, logs.Examples.Count);

        var result = new SoakResult(SoakOptions.Parse([]), "lab", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1), 0, new Tally(), [], [], logs);
        Assert.Contains("the lab's processes logged 2 errors during the load", result.Failures);
    }

    [Fact]
    public void RampUp_RateRisesLinearlyThenHolds()
    {
        // 50 req/s after a 30 s ramp: 750 requests in the ramp (half of 30 × 50), then one every 20 ms.
        Assert.Equal(0, Traffic.DueSeconds(0, 50, 30));
        Assert.Equal(30, Traffic.DueSeconds(750, 50, 30), 6);
        Assert.Equal(Math.Sqrt(2 * 30 * 375 / 50.0), Traffic.DueSeconds(375, 50, 30), 6);
        Assert.Equal(30.02, Traffic.DueSeconds(751, 50, 30), 6);
        Assert.Equal(2, Traffic.DueSeconds(100, 50, 0), 6);
        for (long k = 1; k < 2000; k++)
        {
            Assert.True(Traffic.DueSeconds(k, 50, 30) > Traffic.DueSeconds(k - 1, 50, 30));
        }
    }

    [Fact]
    public void Slope_LeastSquaresPerMinute()
    {
        Assert.Equal(2.0, ProcessSeries.Slope([(0, 10), (1, 12), (2, 14), (3, 16)]), 6);
        Assert.Equal(0.0, ProcessSeries.Slope([(0, 10), (1, 11), (2, 10), (3, 11), (4, 10), (5, 11), (6, 10)]), 1);
        Assert.True(double.IsNaN(ProcessSeries.Slope([(0, 1), (1, 2)])));
    }
}
