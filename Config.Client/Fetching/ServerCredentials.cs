using System.Net.Http.Headers;
using System.Text;

namespace Infrastructure.Config.Client.Fetching;

/// <summary>
/// The <c>Authorization</c> header sent to a config server: the bearer token when set, else Basic credentials from the
/// settings or, failing those, from the server URI's user info; none when there is neither.
/// </summary>
internal static class ServerCredentials
{
    /// <summary>The header value for <paramref name="baseUri"/>, or null to send none.</summary>
    public static AuthenticationHeaderValue? For(ConfigServerClientSettings settings, Uri baseUri)
    {
        if (!string.IsNullOrEmpty(settings.Token))
        {
            return new AuthenticationHeaderValue("Bearer", settings.Token);
        }
        var user = settings.Username;
        var password = settings.Password;
        if (user is null && baseUri.UserInfo is { Length: > 0 } info)
        {
            var parts = info.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }
        return user is null ? null : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
    }

    /// <summary>Sets the request's <c>Authorization</c> header when there is one to send.</summary>
    public static void Apply(HttpRequestMessage request, ConfigServerClientSettings settings, Uri baseUri)
    {
        if (For(settings, baseUri) is { } header)
        {
            request.Headers.Authorization = header;
        }
    }
}
