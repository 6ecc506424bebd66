using System.Buffers;

namespace Infrastructure.Gateway.Security;

/// <summary>
/// Refuses request paths that could mean something else upstream than what the route matched (Spring Security's
/// <c>StrictServerWebExchangeFirewall</c>): backslashes, dot segments hidden behind encoding, control characters.
/// </summary>
/// <remarks>
/// Kestrel decodes the path (all but <c>%2F</c>) and removes literal dot segments before we see it, but <c>..%5C</c> arrives as
/// <c>..\</c>, which a backend, or .NET's own <see cref="Uri"/>, would read as <c>../</c>: <c>/scoped/..\internal</c> matches
/// <c>/scoped/**</c> and reaches <c>/internal</c>. What a firewall refuses never reaches route matching.
/// </remarks>
internal static class RequestPathFirewall
{
    // Only paths holding one of these need a closer look; everything else passes with one vectorised scan.
    private static readonly SearchValues<char> Suspicious = SearchValues.Create(
        "\\.%\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    /// <summary>Null when <paramref name="path"/> (decoded, as Kestrel gives it) is safe to route; else why it is refused.</summary>
    public static string? Check(string path)
    {
        if (path.AsSpan().IndexOfAny(Suspicious) < 0)
        {
            return null;
        }
        foreach (var c in path)
        {
            if (c == '\\')
            {
                return "the request was rejected because the URL contained a potentially malicious String \"\\\"";
            }
            if (char.IsControl(c))
            {
                return "the request was rejected because the URL contained a control character";
            }
        }
        // An encoded slash is a segment separator to many backends; so is a double-encoded dot to one that decodes twice.
        foreach (var range in path.AsSpan().Split('/'))
        {
            if (IsDotSegment(path.AsSpan()[range]))
            {
                return "the request was rejected because the URL contained a dot segment (\"..\" or \".\")";
            }
        }
        return null;
    }

    private static bool IsDotSegment(ReadOnlySpan<char> segment)
    {
        // Pieces between "%2F": "a%2F..%2Fb" hides ".." from a split on '/'.
        while (true)
        {
            var slash = segment.IndexOf("%2F", StringComparison.OrdinalIgnoreCase);
            var piece = slash < 0 ? segment : segment[..slash];
            if (IsDots(piece))
            {
                return true;
            }
            if (slash < 0)
            {
                return false;
            }
            segment = segment[(slash + 3)..];
        }
    }

    private static bool IsDots(ReadOnlySpan<char> piece)
    {
        // ".", "..", and their percent-encoded spellings ("%2e", ".%2E", "%2e%2e"...), which a second decoding turns into dots.
        var dots = 0;
        while (!piece.IsEmpty)
        {
            if (piece[0] == '.')
            {
                piece = piece[1..];
            }
            else if (piece.StartsWith("%2e", StringComparison.OrdinalIgnoreCase))
            {
                piece = piece[3..];
            }
            else
            {
                return false;
            }
            if (++dots > 2)
            {
                return false;
            }
        }
        return dots > 0;
    }
}
