namespace Infrastructure.Auth.Server.Account;

/// <summary>The one check of a return URL before the account pages redirect to it: a path on this site and nothing else.</summary>
internal static class LocalUrl
{
    /// <summary>
    /// ASP.NET Core's <c>Url.IsLocalUrl</c> rules ("/x" or "~/x", but not "//" or "/\" after the prefix), and only visible
    /// ASCII (0x21-0x7E). Browsers drop tab, CR and LF anywhere in a URL and trim control characters and spaces at its
    /// ends, so "/&lt;TAB&gt;/evil.example/" would arrive as "//evil.example/"; other control and non-ASCII characters
    /// cannot go into a Location header at all (Kestrel refuses them, a 500). A legitimate return URL is built with
    /// <c>QueryString.Create</c>, which percent-encodes all of those.
    /// </summary>
    public static bool IsLocal(string? url)
    {
        if (string.IsNullOrEmpty(url) || !url.All(c => c is > ' ' and < '\x7F'))
        {
            return false;
        }
        var path = url.StartsWith("~/", StringComparison.Ordinal) ? url[1..] : url;
        return path[0] == '/' && (path.Length == 1 || (path[1] != '/' && path[1] != '\\'));
    }
}
