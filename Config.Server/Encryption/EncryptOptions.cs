namespace Infrastructure.Config.Server.Encryption;

/// <summary><c>ConfigServer:Encrypt</c> (Spring's <c>encrypt.*</c>; the bare <c>Encrypt:Key</c> is accepted too).</summary>
public sealed class EncryptOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ConfigServer:Encrypt";

    /// <summary>Symmetric key (a passphrase). No default: without it <c>/encrypt</c> and <c>/decrypt</c> answer 404 and <c>{cipher}</c> values are served as <c>invalid.*</c>.</summary>
    public string? Key { get; set; }

    /// <summary>Hex salt for the key derivation. Default <c>deadbeef</c>, as Spring's.</summary>
    public string Salt { get; set; } = "deadbeef";

    /// <summary>Decrypt <c>{cipher}</c> values before serving them (Spring's <c>spring.cloud.config.server.encrypt.enabled</c>). Default true.</summary>
    public bool Enabled { get; set; } = true;
}
