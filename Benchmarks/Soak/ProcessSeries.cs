using System.Globalization;

namespace Infrastructure.Soak;

/// <summary>
/// One reading of a process: resident memory, open file descriptors and threads from <c>/proc</c>; for a .NET lab
/// process also the GC heap right after its last collection and its gen2 collections so far (-1 when not read); and
/// the orders the run had placed by then (Order.Service keeps every order in memory).
/// </summary>
internal readonly record struct ProcessSample(double Minute, long RssKb, int Handles, int Threads,
    long HeapAfterGcBytes = -1, long Gen2Collections = -1, long OrdersPlaced = 0);

/// <summary>The readings of one lab process over the run; <paramref name="metrics"/> is its Prometheus page, if it has one.</summary>
internal sealed class ProcessSeries(string name, string component, int pid, Uri? metrics = null)
{
    private readonly List<ProcessSample> _samples = [];

    public string Name { get; } = name;

    /// <summary>The lab component ("order", "catalog", ...; "lab" for the launcher).</summary>
    public string Component { get; } = component;

    public int Pid { get; } = pid;
    public Uri? Metrics { get; } = metrics;
    public IReadOnlyList<ProcessSample> Samples => _samples;

    /// <summary>Set when a reading found the process gone.</summary>
    public bool Exited { get; private set; }

    /// <summary>Scrapes of <see cref="Metrics"/> that failed, by reason.</summary>
    public Dictionary<string, int> ScrapeFailures { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads <c>/proc/&lt;pid&gt;</c> and, when the process has a metrics page, scrapes it; false once the process is gone.
    /// A failed scrape leaves the heap of that sample unknown (-1) and is counted in <see cref="ScrapeFailures"/>.
    /// </summary>
    public async Task<ProcessSample?> SampleAsync(double minute, long ordersPlaced, HttpClient http, CancellationToken ct)
    {
        if (Exited) { return null; }
        var s = Read(Pid);
        if (s is null)
        {
            Exited = true;
            return null;
        }
        var sample = s.Value with { Minute = minute, OrdersPlaced = ordersPlaced };
        if (Metrics is not null)
        {
            var runtime = await ScrapeAsync(http, ct);
            sample = sample with { HeapAfterGcBytes = runtime.HeapAfterGcBytes, Gen2Collections = runtime.Gen2Collections };
        }
        Add(sample);
        return sample;
    }

    private async Task<RuntimeMetrics> ScrapeAsync(HttpClient http, CancellationToken ct)
    {
        string? failure;
        try
        {
            using var r = await http.GetAsync(Metrics, ct);
            if (r.IsSuccessStatusCode)
            {
                var m = RuntimeMetrics.Parse(await r.Content.ReadAsStringAsync(ct));
                if (m.HeapAfterGcBytes >= 0) { return m; }
                failure = $"no {RuntimeMetrics.HeapMetric}";
            }
            else
            {
                failure = ((int)r.StatusCode).ToString(CultureInfo.InvariantCulture);
            }
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            failure = "timeout";
        }
        catch (HttpRequestException ex)
        {
            failure = ex.HttpRequestError.ToString();
        }
        lock (ScrapeFailures) { ScrapeFailures[failure] = ScrapeFailures.GetValueOrDefault(failure) + 1; }
        return new RuntimeMetrics(-1, -1);
    }

    /// <summary>Adds a reading taken elsewhere (the judging tests build series this way).</summary>
    public void Add(ProcessSample sample)
    {
        lock (_samples) { _samples.Add(sample); }
    }

    public static ProcessSample? Read(int pid)
    {
        try
        {
            long rss = -1;
            var threads = -1;
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) { rss = FirstNumber(line); }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal)) { threads = (int)FirstNumber(line); }
            }
            var fds = Directory.EnumerateFileSystemEntries($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd").Count();
            // A zombie has no VmRSS line: it is gone as far as the run is concerned.
            return rss < 0 || threads < 0 ? null : new ProcessSample(0, rss, fds, threads);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long FirstNumber(string line)
    {
        var digits = new string(line.SkipWhile(c => !char.IsAsciiDigit(c)).TakeWhile(char.IsAsciiDigit).ToArray());
        return long.Parse(digits, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// First, last and max of one figure, and its least-squares slope per minute over the samples at or after
    /// <paramref name="fromMinute"/>; samples where the figure is unknown (NaN) are left out.
    /// </summary>
    public Trend TrendOf(Func<ProcessSample, double> figure, double fromMinute)
    {
        var known = _samples.Where(s => !double.IsNaN(figure(s))).ToList();
        if (known.Count == 0) { return new Trend(double.NaN, double.NaN, double.NaN, double.NaN, 0); }
        var window = known.Where(s => s.Minute >= fromMinute).ToList();
        return new Trend(figure(known[0]), figure(known[^1]), known.Max(figure), Slope(window.Select(s => (s.Minute, figure(s))).ToList()), window.Count);
    }

    /// <summary>
    /// The heap in MB at the samples right after a full (gen2) collection, from <paramref name="fromMinute"/> on: the live
    /// heap, without the dead objects that lesser collections promote and leave for a full one. Trend of those samples.
    /// </summary>
    public Trend AfterFullCollections(double fromMinute)
    {
        var points = new List<(double Minute, double Mb)>();
        for (var i = 1; i < _samples.Count; i++)
        {
            var (before, s) = (_samples[i - 1], _samples[i]);
            if (s.Minute >= fromMinute && before.Gen2Collections >= 0 && s.Gen2Collections > before.Gen2Collections && s.HeapAfterGcBytes >= 0)
            {
                points.Add((s.Minute, s.HeapAfterGcBytes / 1048576.0));
            }
        }
        return points.Count == 0
            ? new Trend(double.NaN, double.NaN, double.NaN, double.NaN, 0)
            : new Trend(points[0].Mb, points[^1].Mb, points.Max(p => p.Mb), Slope(points), points.Count);
    }

    /// <summary>Full (gen2) collections the process ran from <paramref name="fromMinute"/> to its last sample; -1 when not read.</summary>
    public long Gen2CollectionsSince(double fromMinute)
    {
        var window = _samples.Where(s => s.Gen2Collections >= 0 && s.Minute >= fromMinute).ToList();
        return window.Count == 0 ? -1 : window[^1].Gen2Collections - window[0].Gen2Collections;
    }

    /// <summary>Least-squares slope of y over x; NaN with fewer than 3 points.</summary>
    public static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 3) { return double.NaN; }
        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        return sxx == 0 ? double.NaN : points.Sum(p => (p.X - mx) * (p.Y - my)) / sxx;
    }
}

/// <summary>First / last / max of a figure and its slope per minute over the judged window (<see cref="Points"/> samples).</summary>
internal readonly record struct Trend(double First, double Last, double Max, double SlopePerMinute, int Points);
