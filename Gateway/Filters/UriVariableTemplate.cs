using System.Text;
using System.Text.RegularExpressions;

namespace Infrastructure.Gateway.Filters;

/// <summary>
/// A filter argument with Spring's URI variables (<c>AddRequestHeader=X-Seg, seg-{segment}</c>): each <c>{name}</c> becomes
/// what the route's Path pattern captured; unknown names stay as written.
/// </summary>
internal sealed class UriVariableTemplate(string template)
{
    private readonly bool _hasVariables = template.Contains('{', StringComparison.Ordinal);

    /// <summary>The value for a header: captured values are client input, so they cannot end the header line or start another.</summary>
    public string ExpandForHeader(GatewayExchange exchange) => _hasVariables ? ExpandForHeader(template, exchange.UriVariables) : template;

    /// <summary>The value as captured (for a query parameter, which is escaped as a whole).</summary>
    public string Expand(GatewayExchange exchange) =>
        _hasVariables ? Replace(template, exchange.UriVariables, static v => v) : template;

    public static string ExpandForHeader(string template, IReadOnlyDictionary<string, string> variables) =>
        Replace(template, variables, HeaderSafe);

    /// <summary>
    /// Percent-encodes (UTF-8) every character of a captured value outside printable ASCII. The decoded path can hold
    /// CR/LF (<c>%0D%0A</c>: header injection) or non-ASCII (<c>caf%C3%A9</c>), which Kestrel and HttpClient refuse in
    /// header values with an exception mid-request; the request path firewall refuses control characters first, this
    /// does not rely on it.
    /// </summary>
    public static string HeaderSafe(string value)
    {
        var clean = true;
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                clean = false;
                break;
            }
        }
        if (clean)
        {
            return value;
        }
        var sb = new StringBuilder(value.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is >= ' ' and <= '~')
            {
                sb.Append(c);
                continue;
            }
            // A surrogate pair encodes as one 4-byte sequence; a lone surrogate as U+FFFD.
            var rune = Rune.TryGetRuneAt(value, i, out var r) ? r : Rune.ReplacementChar;
            if (rune.Utf16SequenceLength == 2)
            {
                i++;
            }
            var n = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..n])
            {
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }

    private static string Replace(string template, IReadOnlyDictionary<string, string> variables, Func<string, string> encode) =>
        Regex.Replace(template, @"\{([^}]+)}", m => variables.TryGetValue(m.Groups[1].Value, out var v) ? encode(v) : m.Value);
}
