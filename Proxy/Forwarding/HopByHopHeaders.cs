using System.Collections.Frozen;
using Microsoft.Extensions.Primitives;

namespace Infrastructure.Proxy.Forwarding;

/// <summary>Headers that belong to one connection and must not be forwarded (RFC 9110 §7.6.1), plus those the proxy sets itself.</summary>
internal static class HopByHopHeaders
{
    private static readonly FrozenSet<string> Names = new[]
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public static bool Contains(string name) => Names.Contains(name);

    /// <summary>Whether <paramref name="name"/> is listed in the message's <c>Connection</c> header (also hop-by-hop then).</summary>
    public static bool IsNamedIn(StringValues connection, string name)
    {
        foreach (var value in connection)
        {
            if (value is null)
            {
                continue;
            }
            foreach (var range in value.AsSpan().Split(','))
            {
                if (value.AsSpan()[range].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
