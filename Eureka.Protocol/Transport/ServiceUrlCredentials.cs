using System.Net.Http.Headers;
using System.Text;

namespace Infrastructure.Eureka.Protocol;

/// <summary>
/// Credentials in a Eureka service URL (<c>http://user:password@host:8761/eureka/</c>), as clients and peers configure
/// them: the Basic header they become, and keeping them out of what is shown, logged and requested.
/// </summary>
internal static class ServiceUrlCredentials
{
    /// <summary>The <c>Authorization: Basic</c> value for the URL's user info, or null when it has none.</summary>
    public static AuthenticationHeaderValue? FromUserInfo(Uri url)
    {
        if (string.IsNullOrEmpty(url.UserInfo))
        {
            return null;
        }
        // User info is percent-encoded in the URL (a password with '@' or ':' is written %40, %3A).
        var colon = url.UserInfo.IndexOf(':', StringComparison.Ordinal);
        var user = Uri.UnescapeDataString(colon < 0 ? url.UserInfo : url.UserInfo[..colon]);
        var password = colon < 0 ? "" : Uri.UnescapeDataString(url.UserInfo[(colon + 1)..]);
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
    }

    /// <summary>The URL without its user info: what is shown, logged and actually requested.</summary>
    public static Uri WithoutUserInfo(Uri url) =>
        string.IsNullOrEmpty(url.UserInfo) ? url : new UriBuilder(url) { UserName = "", Password = "" }.Uri;

    /// <summary>An entry with everything before its last <c>@</c> (after any <c>scheme://</c>) replaced by <c>***</c>: for entries that did not even parse.</summary>
    public static string Redact(string entry)
    {
        var at = entry.LastIndexOf('@');
        if (at < 0)
        {
            return entry;
        }
        var scheme = entry.IndexOf("://", StringComparison.Ordinal);
        var start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
        return entry[..start] + "***" + entry[at..];
    }
}
