using System.Collections.Frozen;

namespace Infrastructure.Proxy.Forwarding;

/// <summary>Headers that belong on an <see cref="HttpContent"/> rather than on the request message (Content-Type...).</summary>
internal static class ContentHeaders
{
    private static readonly FrozenSet<string> Names = new[]
    {
        "Allow", "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length", "Content-Location",
        "Content-MD5", "Content-Range", "Content-Type", "Expires", "Last-Modified",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public static bool Contains(string name) => Names.Contains(name);
}
