using System.Globalization;

namespace Infrastructure.Soak;

/// <summary>One reading of a process: resident memory, open file descriptors, threads.</summary>
internal readonly record struct ProcessSample(double Minute, long RssKb, int Handles, int Threads);

/// <summary>The readings of one lab process over the run, from Linux's <c>/proc/&lt;pid&gt;</c>.</summary>
internal sealed class ProcessSeries(string name, int pid)
{
    private readonly List<ProcessSample> _samples = [];

    public string Name { get; } = name;
    public int Pid { get; } = pid;
    public IReadOnlyList<ProcessSample> Samples => _samples;

    /// <summary>Set when a reading found the process gone.</summary>
    public bool Exited { get; private set; }

    /// <summary>Reads <c>/proc/&lt;pid&gt;/status</c> (VmRSS, Threads) and counts <c>/proc/&lt;pid&gt;/fd</c>; false once the process is gone.</summary>
    public bool Sample(double minute)
    {
        if (Exited) { return false; }
        var s = Read(Pid);
        if (s is null)
        {
            Exited = true;
            return false;
        }
        _samples.Add(s.Value with { Minute = minute });
        return true;
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

    /// <summary>First, last and max of one figure, and its least-squares slope per minute over the samples at or after <paramref name="fromMinute"/>.</summary>
    public Trend TrendOf(Func<ProcessSample, double> figure, double fromMinute)
    {
        if (_samples.Count == 0) { return new Trend(double.NaN, double.NaN, double.NaN, double.NaN, 0); }
        var window = _samples.Where(s => s.Minute >= fromMinute).ToList();
        return new Trend(figure(_samples[0]), figure(_samples[^1]), _samples.Max(figure), Slope(window.Select(s => (s.Minute, figure(s))).ToList()), window.Count);
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
