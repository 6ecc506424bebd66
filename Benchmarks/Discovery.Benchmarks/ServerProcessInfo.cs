using System.Diagnostics;
using System.Globalization;

namespace Infrastructure.Discovery.Benchmarks;

/// <summary>Memory and CPU of the server process, from Linux's /proc.</summary>
internal static class ServerProcessInfo
{
    private static readonly Lazy<int> ClockTicks = new(ReadClockTicks);

    /// <summary>A <c>/proc/{pid}/status</c> field in bytes (VmRSS, VmHWM), or null when unavailable.</summary>
    public static long? StatusBytes(int? pid, string field)
    {
        if (pid is null)
        {
            return null;
        }
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    var parts = line[(field.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>User + system CPU time the process has used so far, or null.</summary>
    public static TimeSpan? CpuTime(int? pid)
    {
        if (pid is null)
        {
            return null;
        }
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds((double)ticks / ClockTicks.Value);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int ReadClockTicks()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}
