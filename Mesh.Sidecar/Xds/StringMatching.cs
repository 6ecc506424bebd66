using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;

namespace Infrastructure.Mesh.Sidecar.Xds;

/// <summary>Istio's <c>StringMatch</c> (exact, prefix, RE2 regex over the whole value), regexes compiled once as the validator compiles them.</summary>
internal static class StringMatching
{
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
            // ignoreUriCase applies to exact and prefix matches only, as in Istio.
            StringMatch.MatchTypeOneofCase.Regex => Compiled.GetOrAdd(match.Regex, MeshResourceValidator.CompileMatchRegex).IsMatch(value),
            // An empty StringMatch: Istio treats it as "present".
            _ => true,
        };
    }
}
