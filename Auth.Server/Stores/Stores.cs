using Infrastructure.Auth.Server.Configuration;

namespace Infrastructure.Auth.Server.Stores;

/// <summary>Clients (secrets held as SHA-256 hashes).</summary>
internal interface IClientStore
{
    Task<ClientOptions?> FindClientAsync(string clientId, CancellationToken ct);

    Task<IReadOnlyList<ClientOptions>> ListClientsAsync(CancellationToken ct);

    Task UpsertClientAsync(ClientOptions client, CancellationToken ct);

    Task<bool> DeleteClientAsync(string clientId, CancellationToken ct);
}

/// <summary>API scopes, API resources and identity resources.</summary>
internal interface IResourceStore
{
    Task<ResourceSet> GetResourcesAsync(CancellationToken ct);
}

/// <summary>The resources known to the server, as one snapshot.</summary>
internal sealed record ResourceSet(
    IReadOnlyList<ApiScopeOptions> ApiScopes,
    IReadOnlyList<ApiResourceOptions> ApiResources,
    IReadOnlyList<IdentityResourceOptions> IdentityResources)
{
    public ApiScopeOptions? FindApiScope(string name) => ApiScopes.FirstOrDefault(s => s.Name == name);

    public IdentityResourceOptions? FindIdentityResource(string name) => IdentityResources.FirstOrDefault(s => s.Name == name);

    public ApiResourceOptions? FindApiResource(string name) => ApiResources.FirstOrDefault(s => s.Name == name);

    /// <summary>Names of the API resources that hold at least one of the scopes: the token's audiences.</summary>
    public IReadOnlyList<string> AudiencesFor(IEnumerable<string> scopes)
    {
        var set = scopes.ToHashSet(StringComparer.Ordinal);
        return ApiResources.Where(r => r.Scopes.Any(set.Contains)).Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList();
    }
}

/// <summary>A user account: IdentityServer4's TestUser with a hashed password and lockout state.</summary>
internal sealed class UserRecord
{
    public required string SubjectId { get; init; }

    public required string Username { get; set; }

    /// <summary>ASP.NET Core Identity PasswordHasher output.</summary>
    public required string PasswordHash { get; set; }

    public bool IsActive { get; set; } = true;

    public Dictionary<string, string> Claims { get; set; } = [];

    public int AccessFailedCount { get; set; }

    public DateTimeOffset? LockoutEnd { get; set; }
}

/// <summary>Users and their lockout counters.</summary>
internal interface IUserStore
{
    Task<UserRecord?> FindBySubjectIdAsync(string subjectId, CancellationToken ct);

    Task<UserRecord?> FindByUsernameAsync(string username, CancellationToken ct);

    Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct);

    Task UpsertUserAsync(UserRecord user, CancellationToken ct);

    Task<bool> DeleteUserAsync(string subjectId, CancellationToken ct);

    /// <summary>Counts a failed login atomically; locks the account until <paramref name="lockoutEnd"/> when the count reaches <paramref name="maxAttempts"/>.</summary>
    Task RecordFailedLoginAsync(string subjectId, int maxAttempts, DateTimeOffset lockoutEnd, CancellationToken ct);

    /// <summary>Clears the failed-login count after a successful login.</summary>
    Task ResetFailedLoginsAsync(string subjectId, CancellationToken ct);
}

/// <summary>A stored grant (code, refresh token, reference token, consent), keyed by the hash of its handle.</summary>
internal sealed record PersistedGrant
{
    public required string Key { get; init; }

    public required string Type { get; init; }

    public string? SubjectId { get; init; }

    public required string ClientId { get; init; }

    /// <summary>Everything issued from one authorization (code, refresh tokens, reference tokens) shares this id, so it can be revoked together.</summary>
    public string? FamilyId { get; init; }

    public string? SessionId { get; init; }

    public required DateTimeOffset CreationTime { get; init; }

    public DateTimeOffset? Expiration { get; init; }

    public DateTimeOffset? ConsumedTime { get; init; }

    public required string Data { get; init; }
}

/// <summary>Outcome of an atomic consume.</summary>
internal enum ConsumeResult
{
    NotFound,
    Consumed,
    AlreadyConsumed,
}

/// <summary>Codes, refresh tokens, reference tokens and consents, shared by all replicas.</summary>
internal interface IPersistedGrantStore
{
    Task StoreAsync(PersistedGrant grant, CancellationToken ct);

    Task<PersistedGrant?> GetAsync(string key, CancellationToken ct);

    /// <summary>Marks the grant consumed if it was not; exactly one caller across all replicas sees <see cref="ConsumeResult.Consumed"/>.</summary>
    Task<(ConsumeResult Result, PersistedGrant? Grant)> TryConsumeAsync(string key, DateTimeOffset now, CancellationToken ct);

    Task RemoveAsync(string key, CancellationToken ct);

    /// <summary>Removes every grant of a family (replayed code, reused refresh token, revocation).</summary>
    Task<int> RemoveFamilyAsync(string familyId, CancellationToken ct);

    /// <summary>Removes grants expired before <paramref name="now"/>.</summary>
    Task<int> RemoveExpiredAsync(DateTimeOffset now, CancellationToken ct);
}

/// <summary>A signing key with its private material (PKCS#8 PEM).</summary>
internal sealed record StoredSigningKey(string Id, string Algorithm, DateTimeOffset Created, string Pem);

/// <summary>Persistence of signing keys (files or PostgreSQL).</summary>
internal interface ISigningKeyStore
{
    Task<IReadOnlyList<StoredSigningKey>> LoadKeysAsync(CancellationToken ct);

    Task StoreKeyAsync(StoredSigningKey key, CancellationToken ct);

    Task DeleteKeyAsync(string id, CancellationToken ct);
}
