using System.Globalization;
using System.Text.Json;
using Infrastructure.Config.Client.Fetching;
using Infrastructure.Config.Client.Keys;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Config.Client.Cache;

/// <summary>
/// The last environment fetched for a name/profile/label, kept as the server's JSON in <c>Spring:Cloud:Config:CacheDirectory</c>
/// so a service can start while no server answers. A cache that cannot be written or read is logged and otherwise ignored.
/// </summary>
internal sealed partial class DiskCache(ConfigServerClientSettings settings, ILogger logger)
{
    /// <summary>The cache file, or null when the cache is off (empty directory).</summary>
    public string? Path { get; } =
        string.IsNullOrEmpty(settings.CacheDirectory) ? null
        : System.IO.Path.Combine(settings.CacheDirectory, string.Join("_", new[] { settings.Name, settings.Profile, settings.Label ?? "" }.Select(Sanitize)) + ".json");

    private static string Sanitize(string s) => string.Concat(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_'));

    /// <summary>Replaces the cached copy (written aside, then moved over it, so a reader never sees half a file).</summary>
    public void Write(string json)
    {
        if (Path is not { } path)
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            var tmp = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
            File.WriteAllText(tmp, json);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogCacheFailed(logger, path, e.Message);
        }
    }

    /// <summary>The cached copy's keys, or null when there is none or it cannot be read.</summary>
    public Dictionary<string, string?>? Read()
    {
        if (Path is not { } path || !File.Exists(path))
        {
            return null;
        }
        try
        {
            return SpringKeyFlattener.Flatten(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or JsonException or ConfigServerException or UnauthorizedAccessException)
        {
            LogCacheFailed(logger, path, e.Message);
            return null;
        }
    }

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Config cache {Path} not usable: {Error}")]
    private static partial void LogCacheFailed(ILogger logger, string path, string error);
}
