using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Auth.Server.Tokens;

/// <summary>Random opaque handles (codes, refresh and reference tokens) and the hashed keys they are stored under.</summary>
internal static class Handles
{
    /// <summary>256 random bits, base64url.</summary>
    public static string Create() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>The storage key: the handle is never stored, only SHA-256 of handle and type (as IdentityServer4).</summary>
    public static string Key(string handle, string type) =>
        Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(handle + ":" + type)));

    /// <summary>OIDC's at_hash / c_hash: base64url of the left half of SHA-256 of the ASCII value (for RS256 and ES256).</summary>
    public static string LeftHalfHash(string value)
    {
        var hash = SHA256.HashData(Encoding.ASCII.GetBytes(value));
        return Base64UrlEncoder.Encode(hash, 0, hash.Length / 2);
    }

    /// <summary>PKCE S256: base64url(SHA-256(ASCII(code_verifier))).</summary>
    public static string S256(string verifier) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    /// <summary>Constant-time string equality.</summary>
    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
