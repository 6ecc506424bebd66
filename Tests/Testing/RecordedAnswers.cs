using System.Text;
using System.Text.RegularExpressions;

namespace Infrastructure.Testing;

/// <summary>
/// HTTP answers compared byte for byte with files checked in beside the test (one file per answer: a status line, the
/// headers that matter on the wire, a blank line, then the body's exact bytes). Only what is genuinely non-deterministic
/// is replaced, by the patterns given, with a named placeholder such as <c>{timestamp}</c>; any other byte change fails.
/// Run with <c>RECORD_ANSWERS=1</c> to (re-)record the files instead of comparing, then review the diff before committing.
/// </summary>
public sealed class RecordedAnswers
{
    /// <summary>The environment variable that switches from comparing to recording.</summary>
    public const string RecordVariable = "RECORD_ANSWERS";

    // Headers a client may act on; the rest (Date, Server, transfer framing) are the host's, not the endpoint's.
    private static readonly string[] RecordedHeaders = ["Content-Type", "WWW-Authenticate", "Retry-After", "Location"];

    private readonly string _folder;
    private readonly (Regex Pattern, string Placeholder)[] _normalise;
    private readonly List<string> _mismatches = [];
    private readonly HashSet<string> _checked = new(StringComparer.Ordinal);

    /// <param name="folder">The folder of the answer files, relative to the repository root; it holds only this set's files.</param>
    /// <param name="normalise">Regular expressions (matched on the answer read as Latin-1, so every byte is one char) and the placeholder each match becomes.</param>
    public RecordedAnswers(string folder, params (string Pattern, string Placeholder)[] normalise)
    {
        _folder = Path.Combine(RepoPaths.Root, folder);
        _normalise = normalise.Select(n => (new Regex(n.Pattern, RegexOptions.CultureInvariant), n.Placeholder)).ToArray();
    }

    /// <summary>Whether this run records instead of comparing.</summary>
    public static bool Recording => Environment.GetEnvironmentVariable(RecordVariable) == "1";

    /// <summary>Records or compares <paramref name="response"/> under <paramref name="name"/> (a file name without extension, may contain '/').</summary>
    public async Task CheckAsync(string name, HttpResponseMessage response)
    {
        var head = new StringBuilder();
        head.Append("HTTP ").Append((int)response.StatusCode).Append('\n');
        foreach (var header in RecordedHeaders)
        {
            if (response.Headers.TryGetValues(header, out var values) || response.Content.Headers.TryGetValues(header, out values))
            {
                head.Append(header).Append(": ").Append(string.Join(", ", values)).Append('\n');
            }
        }
        head.Append('\n');
        var body = await response.Content.ReadAsByteArrayAsync();
        Check(name, [.. Encoding.Latin1.GetBytes(head.ToString()), .. body]);
    }

    /// <summary>Records or compares raw bytes under <paramref name="name"/>.</summary>
    public void Check(string name, byte[] answer)
    {
        if (!_checked.Add(name))
        {
            throw new ArgumentException($"answer '{name}' checked twice", nameof(name));
        }
        var text = Encoding.Latin1.GetString(answer);
        foreach (var (pattern, placeholder) in _normalise)
        {
            text = pattern.Replace(text, placeholder);
        }
        var actual = Encoding.Latin1.GetBytes(text);
        var path = FilePath(name);
        if (Recording)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, actual);
            return;
        }
        if (!File.Exists(path))
        {
            _mismatches.Add($"{name}: no recorded answer at {path} (record with {RecordVariable}=1)");
            return;
        }
        var expected = File.ReadAllBytes(path);
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            var at = expected.AsSpan().CommonPrefixLength(actual);
            _mismatches.Add($"{name}: differs at byte {at}:\n  recorded: {Excerpt(expected, at)}\n  now:      {Excerpt(actual, at)}");
        }
    }

    /// <summary>Fails with every mismatch found, and with every recorded file in the folder that no answer was checked against.</summary>
    public void AssertAllMatch()
    {
        if (!Recording)
        {
            if (Directory.Exists(_folder))
            {
                foreach (var file in Directory.EnumerateFiles(_folder, "*.txt", SearchOption.AllDirectories))
                {
                    var name = Path.GetRelativePath(_folder, file)[..^4].Replace('\\', '/');
                    if (!_checked.Contains(name))
                    {
                        _mismatches.Add($"{name}: recorded but no longer produced");
                    }
                }
            }
        }
        if (_mismatches.Count > 0)
        {
            throw new InvalidOperationException($"{_mismatches.Count} answer(s) differ from the recorded ones in {_folder} (re-record with {RecordVariable}=1 only if the change is intended):\n" + string.Join("\n", _mismatches));
        }
    }

    private string FilePath(string name) => Path.Combine(_folder, name.Replace('/', Path.DirectorySeparatorChar) + ".txt");

    private static string Excerpt(byte[] bytes, int at)
    {
        var start = Math.Max(0, at - 40);
        var length = Math.Min(bytes.Length - start, 100);
        return length <= 0 ? "(end)" : Encoding.UTF8.GetString(bytes, start, length).ReplaceLineEndings("\\n");
    }
}
