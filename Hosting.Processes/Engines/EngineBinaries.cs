using System.Globalization;

namespace Infrastructure.Hosting.Processes;

/// <summary>Finds the machine's engine binaries (Debian's packages: <c>postgresql</c>, <c>redis-server</c>, <c>prometheus</c>).</summary>
public static class EngineBinaries
{
    private const string PostgresBase = "/usr/lib/postgresql";

    /// <summary>The newest <c>/usr/lib/postgresql/N/bin</c> holding <c>initdb</c>, or null.</summary>
    public static string? FindPostgres()
    {
        if (!Directory.Exists(PostgresBase)) { return null; }
        return Directory.GetDirectories(PostgresBase)
            .OrderByDescending(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0)
            .Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb")));
    }

    /// <summary>The first <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, name)).FirstOrDefault(File.Exists);

    /// <summary>Removes a folder if it is there, ignoring what cannot be removed (a file still held, a mount point).</summary>
    public static void DeleteFolder(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) { Directory.Delete(dir, recursive: true); }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
