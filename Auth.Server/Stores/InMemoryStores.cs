using System.Collections.Concurrent;
using Infrastructure.Auth.Server.Configuration;

namespace Infrastructure.Auth.Server.Stores;

/// <summary>Clients from configuration, changeable through the admin API until restart.</summary>
internal sealed class InMemoryClientStore(ConfigurationSeed seed) : IClientStore
{
    private readonly ConcurrentDictionary<string, ClientOptions> _clients =
        new(seed.Clients().Select(c => KeyValuePair.Create(c.ClientId, c)), StringComparer.Ordinal);

    public Task<ClientOptions?> FindClientAsync(string clientId, CancellationToken ct) =>
        Task.FromResult(_clients.TryGetValue(clientId, out var c) ? c : null);

    public Task<IReadOnlyList<ClientOptions>> ListClientsAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ClientOptions>>(_clients.Values.OrderBy(c => c.ClientId, StringComparer.Ordinal).ToList());

    public Task UpsertClientAsync(ClientOptions client, CancellationToken ct)
    {
        _clients[client.ClientId] = client;
        return Task.CompletedTask;
    }

    public Task<bool> DeleteClientAsync(string clientId, CancellationToken ct) => Task.FromResult(_clients.TryRemove(clientId, out _));
}

/// <summary>Resources from configuration.</summary>
internal sealed class InMemoryResourceStore(ConfigurationSeed seed) : IResourceStore
{
    private readonly ResourceSet _resources = seed.Resources();

    public Task<ResourceSet> GetResourcesAsync(CancellationToken ct) => Task.FromResult(_resources);
}

/// <summary>Users from configuration (IdentityServer4's TestUsers), passwords hashed at start.</summary>
internal sealed class InMemoryUserStore(ConfigurationSeed seed) : IUserStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, UserRecord> _users = seed.Users().ToDictionary(u => u.SubjectId, StringComparer.Ordinal);

    public Task<UserRecord?> FindBySubjectIdAsync(string subjectId, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_users.TryGetValue(subjectId, out var u) ? u : null);
        }
    }

    public Task<UserRecord?> FindByUsernameAsync(string username, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_users.Values.FirstOrDefault(u => string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase)));
        }
    }

    public Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<UserRecord>>(_users.Values.OrderBy(u => u.SubjectId, StringComparer.Ordinal).ToList());
        }
    }

    public Task UpsertUserAsync(UserRecord user, CancellationToken ct)
    {
        lock (_gate)
        {
            _users[user.SubjectId] = user;
        }
        return Task.CompletedTask;
    }

    public Task<bool> DeleteUserAsync(string subjectId, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_users.Remove(subjectId));
        }
    }

    public Task RecordFailedLoginAsync(string subjectId, int maxAttempts, DateTimeOffset lockoutEnd, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_users.TryGetValue(subjectId, out var u))
            {
                u.AccessFailedCount++;
                if (u.AccessFailedCount >= maxAttempts)
                {
                    u.LockoutEnd = lockoutEnd;
                    u.AccessFailedCount = 0;
                }
            }
        }
        return Task.CompletedTask;
    }

    public Task ResetFailedLoginsAsync(string subjectId, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_users.TryGetValue(subjectId, out var u))
            {
                u.AccessFailedCount = 0;
                u.LockoutEnd = null;
            }
        }
        return Task.CompletedTask;
    }
}

/// <summary>Grants in process memory (one replica only).</summary>
internal sealed class InMemoryPersistedGrantStore : IPersistedGrantStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PersistedGrant> _grants = new(StringComparer.Ordinal);

    public Task StoreAsync(PersistedGrant grant, CancellationToken ct)
    {
        lock (_gate)
        {
            _grants[grant.Key] = grant;
        }
        return Task.CompletedTask;
    }

    public Task<PersistedGrant?> GetAsync(string key, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_grants.TryGetValue(key, out var g) ? g : null);
        }
    }

    public Task<(ConsumeResult Result, PersistedGrant? Grant)> TryConsumeAsync(string key, DateTimeOffset now, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_grants.TryGetValue(key, out var g))
            {
                return Task.FromResult<(ConsumeResult, PersistedGrant?)>((ConsumeResult.NotFound, null));
            }
            if (g.ConsumedTime is not null)
            {
                return Task.FromResult<(ConsumeResult, PersistedGrant?)>((ConsumeResult.AlreadyConsumed, g));
            }
            var consumed = g with { ConsumedTime = now };
            _grants[key] = consumed;
            return Task.FromResult<(ConsumeResult, PersistedGrant?)>((ConsumeResult.Consumed, consumed));
        }
    }

    public Task RemoveAsync(string key, CancellationToken ct)
    {
        lock (_gate)
        {
            _grants.Remove(key);
        }
        return Task.CompletedTask;
    }

    public Task<int> RemoveFamilyAsync(string familyId, CancellationToken ct)
    {
        lock (_gate)
        {
            var keys = _grants.Values.Where(g => g.FamilyId == familyId).Select(g => g.Key).ToList();
            keys.ForEach(k => _grants.Remove(k));
            return Task.FromResult(keys.Count);
        }
    }

    public Task<int> RemoveExpiredAsync(DateTimeOffset now, CancellationToken ct)
    {
        lock (_gate)
        {
            var keys = _grants.Values.Where(g => g.Expiration < now).Select(g => g.Key).ToList();
            keys.ForEach(k => _grants.Remove(k));
            return Task.FromResult(keys.Count);
        }
    }
}
