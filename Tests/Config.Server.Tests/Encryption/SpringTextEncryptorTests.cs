using System.Security.Cryptography;
using Infrastructure.Config.Server.Encryption;

namespace Infrastructure.Config.Server.Tests.Encryption;

public sealed class SpringTextEncryptorTests
{
    [Fact]
    public void Decrypt_CipherFromSpringDocumentation_ReturnsPlaintext()
    {
        // The example in Spring Cloud Config's reference documentation: encrypt.key=foo, default salt "deadbeef".
        var e = new SpringTextEncryptor("foo", "deadbeef");
        Assert.Equal("mysecret", e.Decrypt("682bc583f4641835fa2db009355293665d2647dade3375c0ee201de2a49f7bda"));
    }

    [Fact]
    public void Decrypt_CipherFromSpringServer_ReturnsPlaintext()
    {
        var e = new SpringTextEncryptor("12345678901234567890", "deadbeef");
        Assert.Equal("encrypt the world", e.Decrypt("23f97efeed4ab62294432e8ef6b2905e336c245ecb1d5122b2c288c4deeae1b737952312e97e2cf013dd31a28fc60704"));
    }

    [Fact]
    public void Encrypt_ThenDecrypt_RoundTripsWithRandomIv()
    {
        var e = new SpringTextEncryptor("k3y", "deadbeef");
        var c1 = e.Encrypt("pässword");
        var c2 = e.Encrypt("pässword");
        Assert.NotEqual(c1, c2);
        Assert.Equal("pässword", e.Decrypt(c1));
    }

    [Theory]
    [InlineData("not-hex")]
    [InlineData("abcd")]
    public void Decrypt_Garbage_Throws(string cipher) =>
        Assert.ThrowsAny<CryptographicException>(() => new SpringTextEncryptor("k", "deadbeef").Decrypt(cipher));

    [Fact]
    public void Decrypt_OtherKey_ThrowsRatherThanReturningGarbage()
    {
        var cipher = new SpringTextEncryptor("right", "deadbeef").Encrypt("secret value");
        var wrong = new SpringTextEncryptor("wrong", "deadbeef");
        Assert.ThrowsAny<Exception>(() => wrong.Decrypt(cipher));
    }
}
