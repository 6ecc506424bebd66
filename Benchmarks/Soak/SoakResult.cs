using System.Globalization;
using System.Text;

namespace Infrastructure.Soak;

/// <summary>What a run measured, the verdicts, and the Markdown report.</summary>
internal sealed class SoakResult
{
    public SoakResult(SoakOptions options, string labCommand, DateTimeOffset started, TimeSpan loadTime, double maxLagMs,
        Tally tally, IReadOnlyList<ProcessSeries> processes, IReadOnlyList<string> setupFailures, LogWatch? logs = null)
    {
        Logs = logs ?? new LogWatch();
        Options = options;
        LabCommand = labCommand;
        Started = started;
        LoadTime = loadTime;
        MaxLagMs = maxLagMs;
        Tally = tally;
        Processes = processes;
        // The judged window: the second half of the load, after warm-up.
        JudgedFromMinute = loadTime.TotalMinutes / 2;
        GrowthJudged = loadTime.TotalMinutes - JudgedFromMinute >= options.MinJudgedWindow.TotalMinutes;
        var failures = setupFailures.ToList();
        var sent = Math.Max(1, tally.TotalSent);
        ErrorPercent = 100.0 * tally.TotalErrors / sent;
        if (ErrorPercent > options.MaxErrorPercent)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"errors {tally.TotalErrors:N0} = {ErrorPercent:0.###} % of {tally.TotalSent:N0} requests (tolerance {options.MaxErrorPercent} %)"));
        }
        if (Logs.Errors > 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"the lab's processes logged {Logs.Errors:N0} errors during the load"));
        }
        foreach (var p in processes.Where(p => p.Exited))
        {
            failures.Add($"{p.Name} (pid {p.Pid}) exited during the run");
        }
        foreach (var p in processes.Where(p => p.Metrics is not null && p.Samples.Count > 0))
        {
            // A heap not read is a heap not judged: the run does not pass on figures it lacks.
            var read = p.Samples.Count(s => s.HeapAfterGcBytes >= 0);
            if (read < 0.9 * p.Samples.Count)
            {
                failures.Add($"{p.Name}: heap after GC read in {read} of {p.Samples.Count} samples ({Scrapes(p)})");
            }
        }
        // Order.Service keeps every order in memory (no store, no eviction): its heap grows with the orders by design.
        OrdersPerMinute = processes.Count == 0 ? double.NaN : processes[0].TrendOf(s => s.OrdersPlaced, JudgedFromMinute).SlopePerMinute;
        if (GrowthJudged)
        {
            foreach (var p in processes)
            {
                if (p.Metrics is not null)
                {
                    var allowance = OrderAllowanceMb(p);
                    var label = allowance > 0
                        ? string.Create(CultureInfo.InvariantCulture, $"{options.MaxHeapSlopeMb} MB/min + {allowance:0.##} MB/min for the orders it keeps")
                        : null;
                    // A heap that rises between full collections yet is back at its level after each of them (three or more
                    // in the half) holds no more live objects: what rose was garbage promoted by lesser collections.
                    var max = options.MaxHeapSlopeMb + allowance;
                    var full = p.AfterFullCollections(JudgedFromMinute).SlopePerMinute;
                    if (double.IsNaN(full) || full > max)
                    {
                        Judge(failures, p.Name, "heap after GC", Heap(p).SlopePerMinute, max, "MB/min", label);
                    }
                }
                if (options.MaxRssSlopeMb is { } rss) { Judge(failures, p.Name, "RSS", Rss(p).SlopePerMinute, rss, "MB/min"); }
                Judge(failures, p.Name, "open fds", Handles(p).SlopePerMinute, options.MaxHandleSlope, "/min");
                Judge(failures, p.Name, "threads", Threads(p).SlopePerMinute, options.MaxThreadSlope, "/min");
            }
        }
        Failures = failures;
    }

    public SoakOptions Options { get; }
    public string LabCommand { get; }
    public DateTimeOffset Started { get; }
    public TimeSpan LoadTime { get; }
    public double MaxLagMs { get; }
    public Tally Tally { get; }
    public IReadOnlyList<ProcessSeries> Processes { get; }
    public double JudgedFromMinute { get; }
    public bool GrowthJudged { get; }
    public double ErrorPercent { get; }

    /// <summary>Warnings and errors the lab's processes logged while the load ran.</summary>
    public LogWatch Logs { get; }

    /// <summary>Orders the run placed per minute over the second half.</summary>
    public double OrdersPerMinute { get; }
    public IReadOnlyList<string> Failures { get; }
    public int ExitCode => Failures.Count == 0 ? 0 : 1;

    public Trend Rss(ProcessSeries p) => p.TrendOf(s => s.RssKb / 1024.0, JudgedFromMinute);
    public Trend Heap(ProcessSeries p) => p.TrendOf(s => s.HeapAfterGcBytes >= 0 ? s.HeapAfterGcBytes / 1048576.0 : double.NaN, JudgedFromMinute);

    /// <summary>The orders an Order.Service instance stored per minute over the second half (they spread over its instances).</summary>
    public double OrdersPerMinuteAt(ProcessSeries p) =>
        p.Component == "order" ? OrdersPerMinute / Processes.Count(q => q.Component == "order") : 0;

    /// <summary>How much more an Order.Service heap may grow for the orders it keeps, MB/min: <see cref="SoakOptions.OrderBytes"/> each.</summary>
    public double OrderAllowanceMb(ProcessSeries p) =>
        double.IsNaN(OrdersPerMinuteAt(p)) ? 0 : Math.Max(0, OrdersPerMinuteAt(p)) * Options.OrderBytes / 1048576.0;

    private static string Scrapes(ProcessSeries p) =>
        p.ScrapeFailures.Count == 0 ? "no failed scrape" : string.Join(", ", p.ScrapeFailures.Select(f => $"{f.Key} ×{f.Value}"));
    public Trend Handles(ProcessSeries p) => p.TrendOf(s => s.Handles, JudgedFromMinute);
    public Trend Threads(ProcessSeries p) => p.TrendOf(s => s.Threads, JudgedFromMinute);

    private static void Judge(List<string> failures, string process, string figure, double slope, double max, string unit, string? threshold = null)
    {
        if (slope > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{process}: {figure} grows {slope:0.##} {unit} over the second half (threshold {threshold ?? max.ToString("0.##", CultureInfo.InvariantCulture) + " " + unit})"));
        }
    }

    public string Report()
    {
        static string F(double v, string format) => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);
        var o = Options;
        var sb = new StringBuilder();
        var rate = LoadTime > TimeSpan.Zero
            ? Tally.Requests.Where(r => r.Key is "token" or "catalog GET" or "order POST").Sum(r => r.Value.Sent) / LoadTime.TotalSeconds
            : 0;
        sb.AppendLine(CultureInfo.InvariantCulture, $"Soak: {LoadTime.TotalMinutes:0.0} min of load from {Started:yyyy-MM-dd HH:mm} UTC, target {o.Rate:0.##} req/s after a {o.RampUp.TotalSeconds:0.#} s ramp (achieved {rate:0.0} on average), login every {o.LoginEvery.TotalSeconds:0.#} s, config refresh every {o.RefreshEvery.TotalSeconds:0.#} s, registry churn every {o.ChurnEvery.TotalSeconds:0.#} s; samples every {o.SampleEvery.TotalSeconds:0.#} s; {Environment.ProcessorCount} cores");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Lab: {LabCommand}");
        sb.AppendLine();
        sb.AppendLine("| request | sent | failed | p50 ms | p99 ms |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (kind, s) in Tally.Requests.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {kind} | {s.Sent:N0} | {s.Failed:N0} | {F(s.Percentile(0.5), "0.0")} | {F(s.Percentile(0.99), "0.0")} |");
        }
        sb.AppendLine();
        sb.AppendLine(Tally.Errors.IsEmpty
            ? "Errors: none."
            : "Errors: " + string.Join("; ", Tally.Errors.OrderByDescending(e => e.Value).Select(e => $"{e.Key} ×{e.Value:N0}")) + ".");
        sb.AppendLine(Logs.Counts.IsEmpty
            ? "Logged by the lab's processes during the load: no warning, no error."
            : "Logged by the lab's processes during the load: " + string.Join(", ", Logs.Counts.OrderBy(c => c.Key.Process, StringComparer.Ordinal).ThenBy(c => c.Key.Level, StringComparer.Ordinal).Select(c => $"{c.Key.Process} {c.Key.Level} ×{c.Value:N0}")) + ".");
        foreach (var line in Logs.Examples)
        {
            sb.AppendLine("    " + line);
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"Harness: worst dispatch lag {MaxLagMs:0} ms (how far behind its schedule the open loop ever was).");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Per process: first / last / max, and the least-squares slope per minute over the second half (from minute {JudgedFromMinute:0.0}, {(GrowthJudged ? "judged" : "too short to judge growth")}). Heap = the GC heap right after the last collection (all generations, from the process's /actuator/prometheus); gen2 = full collections in the second half, after gen2 = the slope of the heap at the samples right after one (n/a under 3).");
        sb.AppendLine();
        sb.AppendLine("| process | heap MB first / last / max | heap MB/min | gen2 | after gen2 MB/min | RSS MB first / last / max | RSS MB/min | fds first / last / max | fds/min | threads first / last / max | threads/min |");
        sb.AppendLine("|---|---|---:|---:|---:|---|---:|---|---:|---|---:|");
        foreach (var p in Processes)
        {
            var m = Heap(p);
            var r = Rss(p);
            var h = Handles(p);
            var t = Threads(p);
            var gen2 = p.Gen2CollectionsSince(JudgedFromMinute);
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Name}{(p.Exited ? " (exited)" : "")} | {F(m.First, "0.0")} / {F(m.Last, "0.0")} / {F(m.Max, "0.0")} | {F(m.SlopePerMinute, "+0.000;-0.000;0.000")} | {(gen2 < 0 ? "n/a" : gen2.ToString(CultureInfo.InvariantCulture))} | {F(p.AfterFullCollections(JudgedFromMinute).SlopePerMinute, "+0.000;-0.000;0.000")} | {F(r.First, "0")} / {F(r.Last, "0")} / {F(r.Max, "0")} | {F(r.SlopePerMinute, "+0.00;-0.00;0.00")} | {F(h.First, "0")} / {F(h.Last, "0")} / {F(h.Max, "0")} | {F(h.SlopePerMinute, "+0.00;-0.00;0.00")} | {F(t.First, "0")} / {F(t.Last, "0")} / {F(t.Max, "0")} | {F(t.SlopePerMinute, "+0.00;-0.00;0.00")} |");
        }
        sb.AppendLine();
        foreach (var p in Processes.Where(p => p.Component == "order"))
        {
            var stored = OrdersPerMinuteAt(p);
            var slope = Heap(p).SlopePerMinute;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"Orders: Order.Service keeps every order in memory by design (no store, no eviction), so its heap grows with the orders placed: {p.Name} stored {F(stored, "0")} orders/min over the second half ({(Processes[0].Samples.Count > 0 ? Processes[0].Samples[^1].OrdersPlaced : 0):N0} placed in the run) and its heap after GC grew {F(slope, "+0.000;-0.000;0.000")} MB/min, about {F(slope * 1048576 / stored, "0")} bytes per order; its threshold adds {o.OrderBytes:0} bytes per order.");
        }
        foreach (var p in Processes.Where(p => p.ScrapeFailures.Count > 0))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"Metrics scrapes of {p.Name} that failed: {Scrapes(p)}.");
        }
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Thresholds over the second half when it lasts at least {o.MinJudgedWindow.TotalMinutes:0.#} min: heap after GC {o.MaxHeapSlopeMb} MB/min (Order.Service: plus {o.OrderBytes:0} bytes per order it stores), fds {o.MaxHandleSlope}/min, threads {o.MaxThreadSlope}/min, RSS {(o.MaxRssSlopeMb is { } rss ? rss + " MB/min" : "reported, not judged")}; errors at most {o.MaxErrorPercent} % of requests.");
        sb.AppendLine(Failures.Count == 0 ? "Verdict: PASS" : "Verdict: FAIL — " + string.Join("; ", Failures));
        return sb.ToString();
    }
}
