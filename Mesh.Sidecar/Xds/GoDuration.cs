using System.Globalization;
using System.Text.RegularExpressions;

namespace Infrastructure.Mesh.Sidecar.Xds;

/// <summary>Istio's durations in Go's syntax (<c>1.5s</c>, <c>300ms</c>, <c>1m30s</c>, <c>1h</c>).</summary>
internal static partial class GoDuration
{
    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns))+$")]
    private static partial Regex Shape();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")]
    private static partial Regex Part();

    /// <summary>Parses; false for anything else (empty included).</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrEmpty(text) || !Shape().IsMatch(text))
        {
            return false;
        }
        double ms = 0;
        foreach (Match m in Part().Matches(text))
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            ms += m.Groups[2].Value switch
            {
                "h" => n * 3_600_000,
                "m" => n * 60_000,
                "s" => n * 1000,
                "ms" => n,
                "us" or "µs" => n / 1000,
                _ => n / 1_000_000,
            };
        }
        value = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    /// <summary>The duration, or null when unset; an unparsable value is refused before it gets here.</summary>
    public static TimeSpan? OrNull(string? text) => TryParse(text, out var v) ? v : null;
}
