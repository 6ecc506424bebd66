using System.Globalization;
using System.Text;

namespace Infrastructure.Soak;

/// <summary>What a run measured, the verdicts, and the Markdown report.</summary>
internal sealed class SoakResult
{
    public SoakResult(SoakOptions options, string labCommand, DateTimeOffset started, TimeSpan loadTime, double maxLagMs,
        Tally tally, IReadOnlyList<ProcessSeries> processes, IReadOnlyList<string> setupFailures)
    {
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
        foreach (var p in processes.Where(p => p.Exited))
        {
            failures.Add($"{p.Name} (pid {p.Pid}) exited during the run");
        }
        if (GrowthJudged)
        {
            foreach (var p in processes)
            {
                Judge(failures, p.Name, "RSS", Rss(p).SlopePerMinute, options.MaxRssSlopeMb, "MB/min");
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
    public IReadOnlyList<string> Failures { get; }
    public int ExitCode => Failures.Count == 0 ? 0 : 1;

    public Trend Rss(ProcessSeries p) => p.TrendOf(s => s.RssKb / 1024.0, JudgedFromMinute);
    public Trend Handles(ProcessSeries p) => p.TrendOf(s => s.Handles, JudgedFromMinute);
    public Trend Threads(ProcessSeries p) => p.TrendOf(s => s.Threads, JudgedFromMinute);

    private static void Judge(List<string> failures, string process, string figure, double slope, double max, string unit)
    {
        if (slope > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{process}: {figure} grows {slope:0.##} {unit} over the second half (threshold {max} {unit})"));
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
        sb.AppendLine(CultureInfo.InvariantCulture, $"Soak: {LoadTime.TotalMinutes:0.0} min of load from {Started:yyyy-MM-dd HH:mm} UTC, target {o.Rate:0.##} req/s (achieved {rate:0.0}), login every {o.LoginEvery.TotalSeconds:0.#} s, config refresh every {o.RefreshEvery.TotalSeconds:0.#} s, registry churn every {o.ChurnEvery.TotalSeconds:0.#} s; samples every {o.SampleEvery.TotalSeconds:0.#} s; {Environment.ProcessorCount} cores");
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
        sb.AppendLine(CultureInfo.InvariantCulture, $"Harness: worst dispatch lag {MaxLagMs:0} ms (how far behind its schedule the open loop ever was).");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Per process: first / last / max, and the least-squares slope per minute over the second half (from minute {JudgedFromMinute:0.0}, {(GrowthJudged ? "judged" : "too short to judge growth")}).");
        sb.AppendLine();
        sb.AppendLine("| process | RSS MB first / last / max | RSS MB/min | fds first / last / max | fds/min | threads first / last / max | threads/min |");
        sb.AppendLine("|---|---|---:|---|---:|---|---:|");
        foreach (var p in Processes)
        {
            var r = Rss(p);
            var h = Handles(p);
            var t = Threads(p);
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Name}{(p.Exited ? " (exited)" : "")} | {F(r.First, "0")} / {F(r.Last, "0")} / {F(r.Max, "0")} | {F(r.SlopePerMinute, "+0.00;-0.00;0.00")} | {F(h.First, "0")} / {F(h.Last, "0")} / {F(h.Max, "0")} | {F(h.SlopePerMinute, "+0.00;-0.00;0.00")} | {F(t.First, "0")} / {F(t.Last, "0")} / {F(t.Max, "0")} | {F(t.SlopePerMinute, "+0.00;-0.00;0.00")} |");
        }
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Thresholds: RSS {o.MaxRssSlopeMb} MB/min, fds {o.MaxHandleSlope}/min, threads {o.MaxThreadSlope}/min over the second half when it lasts at least {o.MinJudgedWindow.TotalMinutes:0.#} min; errors at most {o.MaxErrorPercent} % of requests.");
        sb.AppendLine(Failures.Count == 0 ? "Verdict: PASS" : "Verdict: FAIL — " + string.Join("; ", Failures));
        return sb.ToString();
    }
}
