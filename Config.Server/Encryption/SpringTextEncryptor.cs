using System.Security.Cryptography;
using System.Text;

namespace Infrastructure.Config.Server.Encryption;

/// <summary>
/// Spring Security's <c>Encryptors.text(key, salt)</c>, which Spring Cloud Config uses for a symmetric <c>encrypt.key</c>:
/// AES-256-CBC with PKCS#7 padding, the key derived by PBKDF2-HMAC-SHA1 (1024 iterations) from the passphrase and the hex salt,
/// a random 16-byte IV prepended to the ciphertext, the whole written as lowercase hex.
/// Values encrypted by a Spring Cloud Config Server with the same key and salt decrypt here, and the other way round.
/// </summary>
internal sealed class SpringTextEncryptor
{
    private const int Iterations = 1024;
    private readonly byte[] _key;

    public SpringTextEncryptor(string passphrase, string hexSalt)
    {
        byte[] salt;
        try
        {
            salt = Convert.FromHexString(hexSalt);
        }
        catch (FormatException)
        {
            salt = Encoding.UTF8.GetBytes(hexSalt);
        }
        _key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, Iterations, HashAlgorithmName.SHA1, 32);
    }

    public string Encrypt(string plainText)
    {
        using var aes = Aes.Create();
        aes.Key = _key;
        var iv = RandomNumberGenerator.GetBytes(16);
        var cipher = aes.EncryptCbc(Encoding.UTF8.GetBytes(plainText), iv, PaddingMode.PKCS7);
        return Convert.ToHexStringLower([.. iv, .. cipher]);
    }

    /// <summary>Decrypts; throws <see cref="CryptographicException"/> when the text is not hex or was not encrypted with this key.</summary>
    public string Decrypt(string hexCipher)
    {
        byte[] all;
        try
        {
            all = Convert.FromHexString(hexCipher.Trim());
        }
        catch (FormatException e)
        {
            throw new CryptographicException("cipher text is not hex", e);
        }
        if (all.Length < 32 || all.Length % 16 != 0)
        {
            throw new CryptographicException("cipher text has the wrong length");
        }
        using var aes = Aes.Create();
        aes.Key = _key;
        var plain = aes.DecryptCbc(all.AsSpan(16), all.AsSpan(0, 16), PaddingMode.PKCS7);
        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(plain);
    }
}
