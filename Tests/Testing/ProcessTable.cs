using System.Globalization;

namespace Infrastructure.Testing;

/// <summary>Looks at the machine's process table (Linux /proc), to prove no process was left behind.</summary>
public static class ProcessTable
{
    /// <summary>Pids whose command line contains <paramref name="fragment"/>.</summary>
    public static IReadOnlyList<int> Find(string fragment)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) { continue; }
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmd.Contains(fragment, StringComparison.Ordinal)) { result.Add(pid); }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return result;
    }

    /// <summary>Waits until no process command line contains <paramref name="fragment"/>; returns the survivors on timeout.</summary>
    public static async Task<IReadOnlyList<int>> WaitUntilGoneAsync(string fragment, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<int> left;
        while ((left = Find(fragment)).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        return left;
    }
}
