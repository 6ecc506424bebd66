using System.Collections.Concurrent;
using Infrastructure.Config.Server.Limits;
using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Environment;

/// <summary>
/// Parsed configuration files keyed by logical path and a version stamp (mtime+length, or a git blob id).
/// A file that stops parsing keeps being served from its last good copy and is listed in <see cref="Broken"/>.
/// </summary>
internal sealed partial class ParsedFileCache(ILogger<ParsedFileCache> logger, IOptions<InputLimits> limits)
{
    private sealed record Entry(string Stamp, IReadOnlyList<ParsedDocument> Documents);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConfigFileParseException> _broken = new(StringComparer.Ordinal);

    /// <summary>Files that failed to parse on their latest version, with the error.</summary>
    public IReadOnlyDictionary<string, ConfigFileParseException> Broken => _broken;

    /// <summary>
    /// The file's documents: cached for the same <paramref name="stamp"/>, else parsed from <paramref name="readContent"/>
    /// (not called when <paramref name="length"/> is over <see cref="InputLimits.MaxFileBytes"/>).
    /// </summary>
    public async ValueTask<IReadOnlyList<ParsedDocument>> GetOrParseAsync(
        string key, string stamp, string displayName, long length, Func<CancellationToken, ValueTask<byte[]>> readContent, CancellationToken ct)
    {
        if (_entries.TryGetValue(key, out var e) && e.Stamp == stamp)
        {
            return e.Documents;
        }
        if (_broken.TryGetValue(key + "\n" + stamp, out var knownBad))
        {
            return e?.Documents ?? throw knownBad;
        }
        try
        {
            ConfigFileParser.CheckSize(displayName, length, limits.Value);
            var docs = ConfigFileParser.Parse(displayName, await readContent(ct), limits.Value);
            _entries[key] = new Entry(stamp, docs);
            foreach (var k in _broken.Keys.Where(k => k.StartsWith(key + "\n", StringComparison.Ordinal)))
            {
                _broken.TryRemove(k, out _);
            }
            return docs;
        }
        catch (ConfigFileParseException ex)
        {
            foreach (var k in _broken.Keys.Where(k => k.StartsWith(key + "\n", StringComparison.Ordinal)))
            {
                _broken.TryRemove(k, out _);
            }
            _broken[key + "\n" + stamp] = ex;
            if (e is not null)
            {
                LogServingLastGood(logger, displayName, ex.Line, ex.Error);
                return e.Documents;
            }
            LogBrokenNoLastGood(logger, displayName, ex.Line, ex.Error);
            throw;
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Config file {File} does not parse (line {Line}: {Error}); serving its last good content")]
    private static partial void LogServingLastGood(ILogger logger, string file, long? line, string error);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Config file {File} does not parse (line {Line}: {Error}) and has no last good content")]
    private static partial void LogBrokenNoLastGood(ILogger logger, string file, long? line, string error);
}
