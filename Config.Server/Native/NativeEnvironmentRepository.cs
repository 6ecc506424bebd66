using System.Collections.Concurrent;
using Infrastructure.Config.Server.Environment;
using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Native;

/// <summary>Spring's native (file system) backend over <see cref="NativeOptions.SearchLocations"/>.</summary>
internal sealed class NativeEnvironmentRepository(IOptions<NativeOptions> options, IHostEnvironment host, ParsedFileCache cache) : IEnvironmentRepository
{
    /// <summary>Longest a result is reused on the watcher's word alone (a safety net should it miss an event).</summary>
    private static readonly TimeSpan MaxReuse = TimeSpan.FromSeconds(5);
    private const int MaxEntries = 10_000;
    private readonly NativeOptions _options = options.Value;
    private readonly ConcurrentDictionary<(string, string, string), (long Generation, long At, ConfigEnvironment Env)> _results = new();
    private long _generation;
    private volatile bool _watched;

    /// <summary>Called by the file watcher once every location is watched: results may then be reused until a change is seen.</summary>
    internal void MarkWatched() => _watched = true;

    /// <summary>Called by the file watcher on any change (before its debounce), and on watcher errors.</summary>
    internal void Invalidate() => Interlocked.Increment(ref _generation);

    public string Kind => "native";

    /// <summary>Configured locations as (display form, absolute form), placeholders still in place.</summary>
    internal IReadOnlyList<(string Display, string Absolute)> Locations { get; } = ParseLocations(options.Value.SearchLocations, host);

    /// <summary>Existing folders to watch: each location up to its first placeholder.</summary>
    internal IEnumerable<string> WatchRoots =>
        Locations.Select(l => FixedPart(l.Absolute))
            .Where(Directory.Exists)
            .Distinct(StringComparer.Ordinal);

    /// <summary>A location up to its first placeholder: the folder everything it can name lies under.</summary>
    private static string FixedPart(string absolute) =>
        absolute.IndexOf('{', StringComparison.Ordinal) is var i and >= 0 ? Path.GetDirectoryName(absolute[..i]) ?? absolute[..i] : absolute;

    /// <summary>
    /// The search locations' real folders (links resolved). A file is served only when its own real path lies under one
    /// of them: a symbolic link — to a file, or to a folder on the way — that leads elsewhere counts as no file at all.
    /// </summary>
    private List<string> RealRoots() =>
        Locations.Select(l => RealPath.Resolve(FixedPart(l.Absolute))).OfType<string>().Distinct(StringComparer.Ordinal).ToList();

    private static bool Inside(string file, List<string> realRoots) =>
        RealPath.Resolve(file) is { } real && realRoots.Exists(root => RealPath.IsUnder(real, root));

    public async Task<ConfigEnvironment> FindOneAsync(string application, IReadOnlyList<string> profiles, string? label, CancellationToken ct)
    {
        if (!_watched)
        {
            return await LoadAsync(application, profiles, label, ct);
        }
        // With the watcher on, skip the per-request file checks until it reports a change.
        var key = (application, string.Join(',', profiles), label ?? "");
        var generation = Interlocked.Read(ref _generation);
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_results.TryGetValue(key, out var hit) && hit.Generation == generation && System.Diagnostics.Stopwatch.GetElapsedTime(hit.At, now) < MaxReuse)
        {
            return hit.Env;
        }
        var env = await LoadAsync(application, profiles, label, ct);
        if (_results.Count >= MaxEntries)
        {
            _results.Clear();
        }
        _results[key] = (generation, now, env);
        return env;
    }

    private async Task<ConfigEnvironment> LoadAsync(string application, IReadOnlyList<string> profiles, string? label, CancellationToken ct)
    {
        var effectiveLabel = label ?? _options.DefaultLabel;
        var dirs = Expand(application, profiles, effectiveLabel);
        var roots = RealRoots();
        var sources = await FileEnvironmentBuilder.BuildAsync(application, profiles, (name, token) => FindFilesAsync(dirs, roots, name, token), ct);
        return new ConfigEnvironment
        {
            Name = application,
            Profiles = [.. profiles],
            Label = effectiveLabel,
            PropertySources = sources,
        };
    }

    public async Task<PlainTextResource?> FindResourceAsync(string application, IReadOnlyList<string> profiles, string? label, string path, CancellationToken ct)
    {
        var relative = RequestGuard.CheckRelativePath(path);
        var dirs = Expand(application, profiles, label ?? _options.DefaultLabel);
        var roots = RealRoots();
        foreach (var candidate in PlainTextCandidates(relative, profiles))
        {
            foreach (var (display, dir) in dirs)
            {
                var full = Path.GetFullPath(Path.Combine(dir, candidate));
                if (full.StartsWith(Path.GetFullPath(dir), StringComparison.Ordinal) && File.Exists(full) && Inside(full, roots))
                {
                    return new PlainTextResource(display + candidate, await File.ReadAllBytesAsync(full, ct));
                }
            }
        }
        return null;
    }

    /// <summary>Spring's order for plain text: <c>name-{profile}.ext</c> for each profile (last first), then <c>name.ext</c>.</summary>
    internal static IEnumerable<string> PlainTextCandidates(string relative, IReadOnlyList<string> profiles)
    {
        var ext = Path.GetExtension(relative);
        var stem = relative[..^ext.Length];
        for (var i = profiles.Count - 1; i >= 0; i--)
        {
            if (profiles[i] != "default")
            {
                yield return $"{stem}-{profiles[i]}{ext}";
            }
        }
        yield return relative;
    }

    private async Task<List<LoadedFile>> FindFilesAsync(List<(string Display, string Dir)> dirs, List<string> realRoots, string name, CancellationToken ct)
    {
        var files = new List<LoadedFile>();
        foreach (var (display, dir) in dirs)
        {
            foreach (var ext in ConfigFileParser.Extensions)
            {
                var full = Path.Combine(dir, name + ext);
                var info = new FileInfo(full);
                if (!info.Exists || !Inside(full, realRoots))
                {
                    continue;
                }
                var stamp = $"{info.LastWriteTimeUtc.Ticks}:{info.Length}";
                var displayName = display + name + ext;
                var docs = await cache.GetOrParseAsync(full, stamp, displayName, info.Length, async token => await File.ReadAllBytesAsync(full, token), ct);
                files.Add(new LoadedFile(displayName, docs));
            }
        }
        return files;
    }

    private List<(string Display, string Dir)> Expand(string application, IReadOnlyList<string> profiles, string label)
    {
        var result = new List<(string, string)>();
        foreach (var (display, absolute) in Locations)
        {
            var usesLabel = absolute.Contains("{label}", StringComparison.Ordinal);
            if (usesLabel)
            {
                foreach (var segment in label.Split('/'))
                {
                    RequestGuard.CheckSegment("label", segment);
                }
            }
            IEnumerable<string> profileValues = absolute.Contains("{profile}", StringComparison.Ordinal) ? profiles.Reverse() : [""];
            foreach (var p in profileValues)
            {
                string Fill(string s) => s.Replace("{application}", application, StringComparison.Ordinal)
                    .Replace("{profile}", p, StringComparison.Ordinal)
                    .Replace("{label}", label, StringComparison.Ordinal);
                var dir = Fill(absolute);
                var disp = Fill(display);
                if (!result.Exists(r => r.Item2 == dir))
                {
                    result.Add((disp, dir));
                }
            }
        }
        return result;
    }

    private static List<(string Display, string Absolute)> ParseLocations(string value, IHostEnvironment host)
    {
        var list = new List<(string, string)>();
        foreach (var raw in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var loc = raw.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? raw[5..] : raw;
            var display = "file:" + loc.TrimEnd('/', '\\') + "/";
            string absolute;
            if (Path.IsPathRooted(loc))
            {
                absolute = loc;
            }
            else
            {
                absolute = Path.GetFullPath(Path.Combine(host.ContentRootPath, loc));
                var fallback = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, loc));
                // dotnet run and the test harness start from the project folder, a published server from anywhere: try the build output too.
                if (!Directory.Exists(absolute) && !loc.Contains('{', StringComparison.Ordinal) && Directory.Exists(fallback))
                {
                    absolute = fallback;
                }
            }
            list.Add((display, absolute.TrimEnd('/', '\\') + Path.DirectorySeparatorChar));
        }
        return list;
    }
}
