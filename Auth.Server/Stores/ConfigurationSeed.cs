using System.Text.Json;
using Infrastructure.Auth.Server.Configuration;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server.Stores;

/// <summary>The configured objects normalized for storage: secrets as SHA-256 hashes, passwords through PasswordHasher.</summary>
internal sealed class ConfigurationSeed(IOptions<AuthOptions> options, IHostEnvironment environment, IPasswordHasher<UserRecord> hasher)
{
    public bool SecretsArePlaintext => options.Value.PlaintextSecrets ?? environment.IsDevelopment();

    public IReadOnlyList<ClientOptions> Clients() => options.Value.Clients.Select(c =>
    {
        var copy = Clone(c);
        copy.ClientSecrets = c.ClientSecrets.Select(HashSecret).ToList();
        return copy;
    }).ToList();

    public ResourceSet Resources() => new(
        options.Value.ApiScopes.Select(Clone).ToList(),
        options.Value.ApiResources.Select(r =>
        {
            var copy = Clone(r);
            copy.ApiSecrets = r.ApiSecrets.Select(HashSecret).ToList();
            return copy;
        }).ToList(),
        options.Value.IdentityResources.Select(Clone).ToList());

    public IReadOnlyList<UserRecord> Users() => options.Value.Users.Select(ToRecord).ToList();

    public UserRecord ToRecord(TestUserOptions u)
    {
        var record = new UserRecord
        {
            SubjectId = u.SubjectId,
            Username = u.Username,
            PasswordHash = "",
            IsActive = u.IsActive,
            Claims = new Dictionary<string, string>(u.Claims, StringComparer.Ordinal),
        };
        record.PasswordHash = hasher.HashPassword(record, u.Password);
        return record;
    }

    /// <summary>Hashes a secret given in the configuration's form (plaintext or hash).</summary>
    public SecretOptions HashSecret(SecretOptions s) => new()
    {
        Value = SecretsArePlaintext ? SecretHasher.Sha256(s.Value) : s.Value,
        Description = s.Description,
        Expiration = s.Expiration,
    };

    private static T Clone<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value))!;
}
