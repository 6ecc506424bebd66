using System.Net.Http.Headers;
using System.Text;

namespace Infrastructure.Discovery.Server.Security;

/// <summary>Credentials carried in a service URL (<c>http://user:password@host:8761/eureka/</c>), as Eureka clients and peers configure them.</summary>
internal static class BasicCredentials
{
    /// <summary>The <c>Authorization: Basic</c> value for the URL's user info, or null when it has none.</summary>
    public static AuthenticationHeaderValue? FromUserInfo(Uri url)
    {
        if (string.IsNullOrEmpty(url.UserInfo))
        {
            return null;
        }
        // User info is percent-encoded in the URL (a password with '@' or ':' must be written %40, %3A).
        var colon = url.UserInfo.IndexOf(':', StringComparison.Ordinal);
        var user = Uri.UnescapeDataString(colon < 0 ? url.UserInfo : url.UserInfo[..colon]);
        var password = colon < 0 ? "" : Uri.UnescapeDataString(url.UserInfo[(colon + 1)..]);
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
    }

    /// <summary>The URL without its user info: what is shown, logged and actually requested.</summary>
    public static Uri WithoutUserInfo(Uri url) =>
        string.IsNullOrEmpty(url.UserInfo) ? url : new UriBuilder(url) { UserName = "", Password = "" }.Uri;
}
