using System.Security.Cryptography;
using System.Text;

namespace Infrastructure.Auth.Server.Configuration;

/// <summary>IdentityServer4's <c>"secret".Sha256()</c> and a constant-time check of a presented secret against it.</summary>
internal static class SecretHasher
{
    /// <summary>Base64 of SHA-256 of the UTF-8 secret, as IdentityServer4's <c>Sha256()</c> extension.</summary>
    public static string Sha256(string secret) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Whether a stored value is a well-formed hash (44 base64 chars of 32 bytes).</summary>
    public static bool IsHash(string value)
    {
        Span<byte> buffer = stackalloc byte[33];
        return Convert.TryFromBase64String(value, buffer, out var n) && n == 32;
    }

    /// <summary>Compares the hash of <paramref name="presented"/> with <paramref name="storedHash"/> in constant time.</summary>
    public static bool Matches(string presented, string storedHash)
    {
        Span<byte> expected = stackalloc byte[33];
        if (!Convert.TryFromBase64String(storedHash, expected, out var n) || n != 32)
        {
            return false;
        }
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(actual, expected[..32]);
    }
}
