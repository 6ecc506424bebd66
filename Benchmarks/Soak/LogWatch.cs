using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Infrastructure.Soak;

/// <summary>
/// Reads the lab's relayed output (<c>process | [HH:mm:ss LVL] message</c>, Serilog's console format) while the load runs
/// and counts the warnings and errors each process logged: a server can fail (a registry fetch, a refresh, a background
/// loop) where no client of the run sees it.
/// </summary>
internal sealed partial class LogWatch
{
    private const int KeptExamples = 12;
    private readonly ConcurrentQueue<string> _examples = new();
    private volatile bool _watching;

    /// <summary>Lines per process and level (WRN, ERR, FTL) seen while watching.</summary>
    public ConcurrentDictionary<(string Process, string Level), long> Counts { get; } = new();

    /// <summary>The first error lines (ERR, FTL) seen, trimmed.</summary>
    public IReadOnlyCollection<string> Examples => _examples;

    public long Errors => Counts.Where(c => c.Key.Level is "ERR" or "FTL").Sum(c => c.Value);
    public long Warnings => Counts.Where(c => c.Key.Level == "WRN").Sum(c => c.Value);

    /// <summary>Lines before <see cref="Start"/> (start-up) and after <see cref="Stop"/> (shutdown) are not counted.</summary>
    public void Start() => _watching = true;

    public void Stop() => _watching = false;

    public void Line(string line)
    {
        if (!_watching) { return; }
        var m = Leveled().Match(line);
        if (!m.Success) { return; }
        var level = m.Groups["level"].Value;
        Counts.AddOrUpdate((m.Groups["process"].Value, level), 1, (_, n) => n + 1);
        if (level != "WRN" && _examples.Count < KeptExamples)
        {
            _examples.Enqueue(line.Length > 400 ? line[..400] + "…" : line);
        }
    }

    [GeneratedRegex(@"^(?<process>\S+?)\s*\| \[\d\d:\d\d:\d\d (?<level>WRN|ERR|FTL)\] ")]
    private static partial Regex Leveled();
}
