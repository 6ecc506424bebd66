using System.Security.Cryptography;
using System.Text;
using Infrastructure.Config.Server.Environment;
using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Encryption;

/// <summary>Holds the configured key and decrypts <c>{cipher}</c> values in environments as Spring's <c>CipherEnvironmentEncryptor</c> does.</summary>
internal sealed partial class CipherService
{
    public const string CipherPrefix = "{cipher}";
    private readonly SpringTextEncryptor? _encryptor;
    private readonly ILogger<CipherService> _logger;
    private readonly bool _enabled;

    public CipherService(IOptions<EncryptOptions> options, IConfiguration configuration, ILogger<CipherService> logger)
    {
        _logger = logger;
        var o = options.Value;
        _enabled = o.Enabled;
        // Spring's own key name works too, so an existing ENCRYPT_KEY environment keeps working.
        var key = !string.IsNullOrEmpty(o.Key) ? o.Key : configuration["Encrypt:Key"];
        var salt = configuration["Encrypt:Salt"] is { Length: > 0 } s && configuration[EncryptOptions.Section + ":Salt"] is null ? s : o.Salt;
        if (!string.IsNullOrEmpty(key))
        {
            _encryptor = new SpringTextEncryptor(key, salt);
        }
    }

    public bool HasKey => _encryptor is not null;

    public string Encrypt(string plain) => (_encryptor ?? throw new InvalidOperationException("no key")).Encrypt(plain);

    public string Decrypt(string cipher) => (_encryptor ?? throw new InvalidOperationException("no key")).Decrypt(StripPrefixes(cipher));

    /// <summary>Replaces each <c>{cipher}</c> value with its plaintext; an undecryptable one becomes <c>invalid.{key}</c> = <c>&lt;n/a&gt;</c>.</summary>
    public ConfigEnvironment DecryptEnvironment(ConfigEnvironment env)
    {
        if (!_enabled)
        {
            return env;
        }
        List<PropertySource>? changed = null;
        for (var i = 0; i < env.PropertySources.Count; i++)
        {
            var ps = env.PropertySources[i];
            if (!ps.Source.Values.Any(v => v is string s && s.StartsWith(CipherPrefix, StringComparison.Ordinal)))
            {
                continue;
            }
            var copy = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (k, v) in ps.Source)
            {
                if (v is string s && s.StartsWith(CipherPrefix, StringComparison.Ordinal))
                {
                    try
                    {
                        copy[k] = Decrypt(s[CipherPrefix.Length..]);
                    }
                    catch (Exception e) when (e is CryptographicException or InvalidOperationException or DecoderFallbackException or ArgumentException)
                    {
                        LogCannotDecrypt(_logger, k, ps.Name, HasKey ? "not encrypted with this key" : "no encryption key is configured");
                        copy["invalid." + k] = "<n/a>";
                    }
                }
                else
                {
                    copy[k] = v;
                }
            }
            changed ??= [.. env.PropertySources];
            changed[i] = new PropertySource(ps.Name, copy);
        }
        return changed is null ? env : new ConfigEnvironment
        {
            Name = env.Name,
            Profiles = env.Profiles,
            Label = env.Label,
            Version = env.Version,
            State = env.State,
            PropertySources = changed,
        };
    }

    /// <summary>Spring allows <c>{key:name}</c>/<c>{secret:...}</c> prefixes before the hex; a symmetric key ignores them.</summary>
    private static string StripPrefixes(string cipher)
    {
        var c = cipher;
        while (c.StartsWith('{') && c.IndexOf('}', StringComparison.Ordinal) is var end and > 0)
        {
            c = c[(end + 1)..];
        }
        return c;
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Cannot decrypt {Key} from {Source}: {Reason}; serving invalid.{Key} = <n/a>")]
    private static partial void LogCannotDecrypt(ILogger logger, string key, string source, string reason);
}
