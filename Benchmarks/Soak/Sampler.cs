using System.Globalization;

namespace Infrastructure.Soak;

/// <summary>Takes one reading of every lab process at a time (the scrapes in parallel) and hands each round to the CSV.</summary>
internal sealed class Sampler(IReadOnlyList<ProcessSeries> series, Tally tally, Traffic traffic, SampleCsv? csv) : IDisposable
{
    // Its own client: a scrape never waits behind the load's connection pool, and a slow one is cut short.
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>When minute 0 of the load was.</summary>
    public DateTimeOffset LoadStarted { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>Reads every process still running at <paramref name="minute"/> of the load; one that is gone counts as an error.</summary>
    public async Task<IReadOnlyList<(ProcessSeries Series, ProcessSample Sample)>> SampleAllAsync(double minute)
    {
        var orders = traffic.OrdersPlaced;
        var running = series.Where(s => !s.Exited).ToList();
        var samples = await Task.WhenAll(running.Select(s => s.SampleAsync(minute, orders, _http, CancellationToken.None)));
        var round = new List<(ProcessSeries, ProcessSample)>();
        for (var i = 0; i < running.Count; i++)
        {
            if (samples[i] is { } sample) { round.Add((running[i], sample)); }
            else { tally.Error($"process exited: {running[i].Name} (pid {running[i].Pid})"); }
        }
        csv?.Write(LoadStarted, round);
        return round;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>
/// Every sample as a CSV row, written as the run goes (a run stopped early keeps what it measured):
/// <c>utc,minute,process,pid,rss_mb,heap_after_gc_mb,fds,threads,gen2_gcs,orders_placed</c>; the heap and gen2 columns
/// are empty for the launcher and for a failed scrape.
/// </summary>
internal sealed class SampleCsv : IDisposable
{
    public const string Header = "utc,minute,process,pid,rss_mb,heap_after_gc_mb,fds,threads,gen2_gcs,orders_placed";

    private readonly StreamWriter _out;

    public SampleCsv(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        _out = new StreamWriter(full, append: false) { NewLine = "\n" };
        _out.WriteLine(Header);
        _out.Flush();
    }

    public void Write(DateTimeOffset loadStarted, IEnumerable<(ProcessSeries Series, ProcessSample Sample)> round)
    {
        foreach (var (p, s) in round)
        {
            _out.WriteLine(Row(loadStarted, p, s));
        }
        _out.Flush();
    }

    public static string Row(DateTimeOffset loadStarted, ProcessSeries p, ProcessSample s) => string.Create(CultureInfo.InvariantCulture,
        $"{loadStarted.AddMinutes(s.Minute).UtcDateTime:yyyy-MM-ddTHH:mm:ssZ},{s.Minute:0.000},{p.Name},{p.Pid},{s.RssKb / 1024.0:0.0},{(s.HeapAfterGcBytes >= 0 ? (s.HeapAfterGcBytes / 1048576.0).ToString("0.00", CultureInfo.InvariantCulture) : "")},{s.Handles},{s.Threads},{(s.Gen2Collections >= 0 ? s.Gen2Collections.ToString(CultureInfo.InvariantCulture) : "")},{s.OrdersPlaced}");

    public void Dispose() => _out.Dispose();
}
