using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Auth.Server.Keys;

/// <summary><c>Auth:SigningKeys</c>: automatic key management (persisted, rotated, announced before use, retained after).</summary>
public sealed class SigningKeyOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Auth:SigningKeys";

    /// <summary>Signing algorithm: RS256 (default) or ES256.</summary>
    [Required]
    [RegularExpression("^(RS256|ES256)$")]
    public string Algorithm { get; set; } = "RS256";

    /// <summary>Folder for key files (default <c>keys</c> under the content root); unused with PostgreSQL.</summary>
    public string Path { get; set; } = "keys";

    /// <summary>Age at which a key stops signing (default 90 days).</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How long a new key is published in JWKS before it signs (default 14 days).</summary>
    public TimeSpan PropagationTime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long a retired key stays in JWKS; must cover the longest token lifetime (default 14 days).</summary>
    public TimeSpan RetentionTime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How often the key set is re-read from the store (other replicas may have rotated; default 1 minute).</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(1);
}
