using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Infrastructure.Mesh.Api;

namespace Infrastructure.Mesh.Sidecar.Xds;

/// <summary>Istio's <c>StringMatch</c> (exact, prefix, RE2 regex over the whole value) and its compiled regexes.</summary>
internal static class StringMatching
{
    /// <summary>Istio refuses longer expressions.</summary>
    public const int MaxRegexLength = 1024;

    private static readonly ConcurrentDictionary<string, Regex> Compiled = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="value"/> matches; a null value (header absent) matches nothing.</summary>
    public static bool Matches(this StringMatch match, string? value, bool ignoreCase = false)
    {
        if (value is null)
        {
            return false;
        }
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return match.MatchTypeCase switch
        {
            StringMatch.MatchTypeOneofCase.Exact => string.Equals(value, match.Exact, comparison),
            StringMatch.MatchTypeOneofCase.Prefix => value.StartsWith(match.Prefix, comparison),
            StringMatch.MatchTypeOneofCase.Regex => Regex(match.Regex, ignoreCase).IsMatch(value),
            // An empty StringMatch: Istio treats it as "present".
            _ => true,
        };
    }

    /// <summary>The anchored RE2-style expression, compiled once (NonBacktracking: linear time like RE2).</summary>
    public static Regex Regex(string pattern, bool ignoreCase = false) =>
        Compiled.GetOrAdd((ignoreCase ? "i:" : "c:") + pattern, _ => new Regex(
            $"^(?:{pattern})$",
            RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None),
            TimeSpan.FromSeconds(1)));
}
