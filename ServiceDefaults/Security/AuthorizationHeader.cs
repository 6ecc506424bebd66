using System.Text;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.ServiceDefaults.Security;

/// <summary>What <see cref="AuthorizationHeader.ReadBasic"/> found.</summary>
public enum BasicCredentialsRead
{
    /// <summary>No <c>Authorization</c> header, or one of another scheme (a bearer token is no guess at a password).</summary>
    None,

    /// <summary>A Basic header that cannot be read: not base64, no colon, or more than one <c>Authorization</c> header.</summary>
    Malformed,

    /// <summary>A user name and a password.</summary>
    Read,
}

/// <summary>
/// The one reader of the <c>Authorization</c> header: RFC 6750's bearer token and RFC 7617's Basic credentials, so no
/// server cuts a scheme out of the header by hand.
/// </summary>
public static class AuthorizationHeader
{
    // RS0030: the Authorization header is banned everywhere else (BannedSymbols.txt) so that this file stays its one reader.
#pragma warning disable RS0030
    /// <summary>The bearer token (scheme case-insensitive, RFC 6750 §2.1), or null when the request carries none.</summary>
    public static string? Bearer(HttpRequest request) => Bearer(request.Headers.Authorization.ToString());
#pragma warning restore RS0030

    /// <summary>The bearer token in an <c>Authorization</c> header value, or null when it is not a non-empty bearer token.</summary>
    public static string? Bearer(string? headerValue)
    {
        if (headerValue is null || !headerValue.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = headerValue[7..].Trim();
        return token.Length == 0 ? null : token;
    }

    /// <summary>True when the request presents a bearer token (the scheme, not whether the token is any good).</summary>
    public static bool HasBearer(HttpRequest request) => Bearer(request) is not null;

    /// <summary>RFC 7617 Basic credentials: base64 of UTF-8 <c>user:password</c>, split at the first colon (both empty unless <see cref="BasicCredentialsRead.Read"/>).</summary>
    public static BasicCredentialsRead ReadBasic(HttpRequest request, out string user, out string password)
    {
        user = password = "";
#pragma warning disable RS0030 // the one reader (above)
        var header = request.Headers.Authorization;
#pragma warning restore RS0030
        if (header.Count == 0 || !(header[0] ?? "").StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return header.Count > 1 ? BasicCredentialsRead.Malformed : BasicCredentialsRead.None;
        }
        if (header.Count > 1)
        {
            return BasicCredentialsRead.Malformed;
        }
        string decoded;
        try
        {
            decoded = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(header[0]![6..].Trim()));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            // Not base64, or bytes that are not UTF-8 (DecoderFallbackException is an ArgumentException).
            return BasicCredentialsRead.Malformed;
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return BasicCredentialsRead.Malformed;
        }
        (user, password) = (decoded[..colon], decoded[(colon + 1)..]);
        return BasicCredentialsRead.Read;
    }
}
