using System.Text.Json;
using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Keys;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.ServiceDefaults.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Infrastructure.Auth.Server.Postgres;

/// <summary><c>Auth:Postgres</c>: clients, resources, users, signing keys, grants and the Data Protection key ring (login sessions) in PostgreSQL, shared by replicas.</summary>
public sealed class PostgresOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Auth:Postgres";

    /// <summary>Npgsql connection string; when set, PostgreSQL replaces the in-memory stores and key files.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Whether configured clients, resources and users are inserted when missing (default true; existing rows win).</summary>
    public bool SeedFromConfiguration { get; set; } = true;
}

/// <summary>Registration of the PostgreSQL stores.</summary>
internal static class PostgresRegistration
{
    public static IServiceCollection AddPostgresStores(this IServiceCollection services)
    {
        // Bounded waits unless the connection string sets its own: a hung database gets a 503 in seconds, not after 30 s.
        services.AddSingleton(sp => new NpgsqlDataSourceBuilder(PostgresWaits.Bounded(sp.GetRequiredService<IOptions<PostgresOptions>>().Value.ConnectionString!)).Build());
        services.AddSingleton<PostgresSchema>();
        services.AddSingleton<PostgresStore>();
        services.AddSingleton<IClientStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IResourceStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IUserStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<IPersistedGrantStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddSingleton<ISigningKeyStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresSchema>());
        services.AddPostgresDataProtection();
        return services;
    }
}

/// <summary>Creates the tables on start (idempotent) and seeds the configured objects, under an advisory lock so replicas do not race.</summary>
internal sealed class PostgresSchema(NpgsqlDataSource db, ConfigurationSeed seed, IOptions<PostgresOptions> options) : IHostedService
{
    private const long LockId = 0x4155_5448_5345_4544; // "AUTHSEED"
    private const int StartupCommandSeconds = 120;

    public async Task StartAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Exec(conn, tx, "SELECT pg_advisory_xact_lock(@id)", ct, ("id", LockId));
        await Exec(conn, tx, """
            CREATE TABLE IF NOT EXISTS auth_clients (client_id text PRIMARY KEY, data jsonb NOT NULL);
            CREATE TABLE IF NOT EXISTS auth_resources (kind text NOT NULL, name text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (kind, name));
            CREATE TABLE IF NOT EXISTS auth_users (
                subject_id text PRIMARY KEY, username text NOT NULL, password_hash text NOT NULL, is_active boolean NOT NULL,
                claims jsonb NOT NULL, access_failed_count int NOT NULL DEFAULT 0, lockout_end timestamptz NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS auth_users_username ON auth_users (lower(username));
            CREATE TABLE IF NOT EXISTS auth_signing_keys (id text PRIMARY KEY, algorithm text NOT NULL, created timestamptz NOT NULL, pem text NOT NULL);
            CREATE TABLE IF NOT EXISTS auth_persisted_grants (
                key text PRIMARY KEY, type text NOT NULL, subject_id text NULL, client_id text NOT NULL, family_id text NULL,
                session_id text NULL, creation_time timestamptz NOT NULL, expiration timestamptz NULL, consumed_time timestamptz NULL, data text NOT NULL);
            CREATE INDEX IF NOT EXISTS auth_persisted_grants_family ON auth_persisted_grants (family_id);
            CREATE INDEX IF NOT EXISTS auth_persisted_grants_expiration ON auth_persisted_grants (expiration);
            """, ct);
        if (options.Value.SeedFromConfiguration)
        {
            foreach (var c in seed.Clients())
            {
                await Exec(conn, tx, "INSERT INTO auth_clients (client_id, data) VALUES (@id, @data::jsonb) ON CONFLICT DO NOTHING", ct,
                    ("id", c.ClientId), ("data", JsonSerializer.Serialize(c)));
            }
            var r = seed.Resources();
            var rows = r.ApiScopes.Select(s => ("api_scope", s.Name, JsonSerializer.Serialize(s)))
                .Concat(r.ApiResources.Select(s => ("api_resource", s.Name, JsonSerializer.Serialize(s))))
                .Concat(r.IdentityResources.Select(s => ("identity_resource", s.Name, JsonSerializer.Serialize(s))));
            foreach (var (kind, name, data) in rows)
            {
                await Exec(conn, tx, "INSERT INTO auth_resources (kind, name, data) VALUES (@k, @n, @d::jsonb) ON CONFLICT DO NOTHING", ct,
                    ("k", kind), ("n", name), ("d", data));
            }
            foreach (var u in seed.Users())
            {
                await Exec(conn, tx, """
                    INSERT INTO auth_users (subject_id, username, password_hash, is_active, claims)
                    VALUES (@s, @u, @p, @a, @c::jsonb) ON CONFLICT DO NOTHING
                    """, ct, ("s", u.SubjectId), ("u", u.Username), ("p", u.PasswordHash), ("a", u.IsActive), ("c", JsonSerializer.Serialize(u.Claims)));
            }
        }
        await tx.CommitAsync(ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct, params (string Name, object Value)[] args)
    {
        // Start-up only: a replica may wait here for another's advisory lock while it seeds, longer than a request's bound.
        await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = StartupCommandSeconds };
        foreach (var (n, v) in args)
        {
            cmd.Parameters.AddWithValue(n, v);
        }
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>All stores over one NpgsqlDataSource; single statements, so each operation is atomic across replicas.</summary>
internal sealed class PostgresStore(NpgsqlDataSource db) : IClientStore, IResourceStore, IUserStore, IPersistedGrantStore, ISigningKeyStore
{
    // ---- clients
    public async Task<ClientOptions?> FindClientAsync(string clientId, CancellationToken ct)
    {
        await using var cmd = Command("SELECT data FROM auth_clients WHERE client_id = @id", ("id", clientId));
        return await cmd.ExecuteScalarAsync(ct) is string json ? JsonSerializer.Deserialize<ClientOptions>(json) : null;
    }

    public async Task<IReadOnlyList<ClientOptions>> ListClientsAsync(CancellationToken ct)
    {
        await using var cmd = Command("SELECT data FROM auth_clients ORDER BY client_id");
        return await ReadAllAsync(cmd, r => JsonSerializer.Deserialize<ClientOptions>(r.GetString(0))!, ct);
    }

    public async Task UpsertClientAsync(ClientOptions client, CancellationToken ct)
    {
        await using var cmd = Command("INSERT INTO auth_clients (client_id, data) VALUES (@id, @d::jsonb) ON CONFLICT (client_id) DO UPDATE SET data = excluded.data",
            ("id", client.ClientId), ("d", JsonSerializer.Serialize(client)));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> DeleteClientAsync(string clientId, CancellationToken ct)
    {
        await using var cmd = Command("DELETE FROM auth_clients WHERE client_id = @id", ("id", clientId));
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    // ---- resources
    public async Task<ResourceSet> GetResourcesAsync(CancellationToken ct)
    {
        await using var cmd = Command("SELECT kind, data FROM auth_resources ORDER BY kind, name");
        var rows = await ReadAllAsync(cmd, r => (Kind: r.GetString(0), Data: r.GetString(1)), ct);
        return new ResourceSet(
            rows.Where(r => r.Kind == "api_scope").Select(r => JsonSerializer.Deserialize<ApiScopeOptions>(r.Data)!).ToList(),
            rows.Where(r => r.Kind == "api_resource").Select(r => JsonSerializer.Deserialize<ApiResourceOptions>(r.Data)!).ToList(),
            rows.Where(r => r.Kind == "identity_resource").Select(r => JsonSerializer.Deserialize<IdentityResourceOptions>(r.Data)!).ToList());
    }

    // ---- users
    private const string UserColumns = "subject_id, username, password_hash, is_active, claims::text, access_failed_count, lockout_end";

    public async Task<UserRecord?> FindBySubjectIdAsync(string subjectId, CancellationToken ct)
    {
        await using var cmd = Command($"SELECT {UserColumns} FROM auth_users WHERE subject_id = @s", ("s", subjectId));
        return (await ReadAllAsync(cmd, ReadUser, ct)).FirstOrDefault();
    }

    public async Task<UserRecord?> FindByUsernameAsync(string username, CancellationToken ct)
    {
        await using var cmd = Command($"SELECT {UserColumns} FROM auth_users WHERE lower(username) = lower(@u)", ("u", username));
        return (await ReadAllAsync(cmd, ReadUser, ct)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct)
    {
        await using var cmd = Command($"SELECT {UserColumns} FROM auth_users ORDER BY subject_id");
        return await ReadAllAsync(cmd, ReadUser, ct);
    }

    public async Task UpsertUserAsync(UserRecord user, CancellationToken ct)
    {
        await using var cmd = Command("""
            INSERT INTO auth_users (subject_id, username, password_hash, is_active, claims) VALUES (@s, @u, @p, @a, @c::jsonb)
            ON CONFLICT (subject_id) DO UPDATE SET username = excluded.username, password_hash = excluded.password_hash,
                is_active = excluded.is_active, claims = excluded.claims
            """, ("s", user.SubjectId), ("u", user.Username), ("p", user.PasswordHash), ("a", user.IsActive), ("c", JsonSerializer.Serialize(user.Claims)));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> DeleteUserAsync(string subjectId, CancellationToken ct)
    {
        await using var cmd = Command("DELETE FROM auth_users WHERE subject_id = @s", ("s", subjectId));
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    public async Task RecordFailedLoginAsync(string subjectId, int maxAttempts, DateTimeOffset lockoutEnd, CancellationToken ct)
    {
        await using var cmd = Command("""
            UPDATE auth_users SET
                lockout_end = CASE WHEN access_failed_count + 1 >= @max THEN @end ELSE lockout_end END,
                access_failed_count = CASE WHEN access_failed_count + 1 >= @max THEN 0 ELSE access_failed_count + 1 END
            WHERE subject_id = @s
            """, ("s", subjectId), ("max", maxAttempts), ("end", lockoutEnd));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task ResetFailedLoginsAsync(string subjectId, CancellationToken ct)
    {
        await using var cmd = Command("UPDATE auth_users SET access_failed_count = 0, lockout_end = NULL WHERE subject_id = @s", ("s", subjectId));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static UserRecord ReadUser(NpgsqlDataReader r) => new()
    {
        SubjectId = r.GetString(0),
        Username = r.GetString(1),
        PasswordHash = r.GetString(2),
        IsActive = r.GetBoolean(3),
        Claims = JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(4)) ?? [],
        AccessFailedCount = r.GetInt32(5),
        LockoutEnd = r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6),
    };

    // ---- grants
    private const string GrantColumns = "key, type, subject_id, client_id, family_id, session_id, creation_time, expiration, consumed_time, data";

    public async Task StoreAsync(PersistedGrant g, CancellationToken ct)
    {
        await using var cmd = Command($"""
            INSERT INTO auth_persisted_grants ({GrantColumns}) VALUES (@k, @t, @s, @c, @f, @sid, @ct, @e, @con, @d)
            ON CONFLICT (key) DO UPDATE SET type = excluded.type, subject_id = excluded.subject_id, client_id = excluded.client_id,
                family_id = excluded.family_id, session_id = excluded.session_id, creation_time = excluded.creation_time,
                expiration = excluded.expiration, consumed_time = excluded.consumed_time, data = excluded.data
            """,
            ("k", g.Key), ("t", g.Type), ("s", (object?)g.SubjectId ?? DBNull.Value), ("c", g.ClientId), ("f", (object?)g.FamilyId ?? DBNull.Value),
            ("sid", (object?)g.SessionId ?? DBNull.Value), ("ct", g.CreationTime), ("e", (object?)g.Expiration ?? DBNull.Value),
            ("con", (object?)g.ConsumedTime ?? DBNull.Value), ("d", g.Data));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<PersistedGrant?> GetAsync(string key, CancellationToken ct)
    {
        await using var cmd = Command($"SELECT {GrantColumns} FROM auth_persisted_grants WHERE key = @k", ("k", key));
        return (await ReadAllAsync(cmd, ReadGrant, ct)).FirstOrDefault();
    }

    public async Task<(ConsumeResult Result, PersistedGrant? Grant)> TryConsumeAsync(string key, DateTimeOffset now, CancellationToken ct)
    {
        // One UPDATE: PostgreSQL's row lock lets exactly one replica flip consumed_time from NULL.
        await using (var cmd = Command($"UPDATE auth_persisted_grants SET consumed_time = @now WHERE key = @k AND consumed_time IS NULL RETURNING {GrantColumns}",
            ("k", key), ("now", now)))
        {
            if ((await ReadAllAsync(cmd, ReadGrant, ct)).FirstOrDefault() is { } consumed)
            {
                return (ConsumeResult.Consumed, consumed);
            }
        }
        var existing = await GetAsync(key, ct);
        return existing is null ? (ConsumeResult.NotFound, null) : (ConsumeResult.AlreadyConsumed, existing);
    }

    public async Task RemoveAsync(string key, CancellationToken ct)
    {
        await using var cmd = Command("DELETE FROM auth_persisted_grants WHERE key = @k", ("k", key));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> RemoveFamilyAsync(string familyId, CancellationToken ct)
    {
        await using var cmd = Command("DELETE FROM auth_persisted_grants WHERE family_id = @f", ("f", familyId));
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> RemoveExpiredAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = Command("DELETE FROM auth_persisted_grants WHERE expiration < @now", ("now", now));
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static PersistedGrant ReadGrant(NpgsqlDataReader r) => new()
    {
        Key = r.GetString(0),
        Type = r.GetString(1),
        SubjectId = r.IsDBNull(2) ? null : r.GetString(2),
        ClientId = r.GetString(3),
        FamilyId = r.IsDBNull(4) ? null : r.GetString(4),
        SessionId = r.IsDBNull(5) ? null : r.GetString(5),
        CreationTime = r.GetFieldValue<DateTimeOffset>(6),
        Expiration = r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7),
        ConsumedTime = r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8),
        Data = r.GetString(9),
    };

    // ---- signing keys
    public async Task<IReadOnlyList<StoredSigningKey>> LoadKeysAsync(CancellationToken ct)
    {
        await using var cmd = Command("SELECT id, algorithm, created, pem FROM auth_signing_keys ORDER BY created");
        return await ReadAllAsync(cmd, r => new StoredSigningKey(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetString(3)), ct);
    }

    public async Task StoreKeyAsync(StoredSigningKey key, CancellationToken ct)
    {
        await using var cmd = Command("INSERT INTO auth_signing_keys (id, algorithm, created, pem) VALUES (@i, @a, @c, @p) ON CONFLICT DO NOTHING",
            ("i", key.Id), ("a", key.Algorithm), ("c", key.Created), ("p", key.Pem));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task DeleteKeyAsync(string id, CancellationToken ct)
    {
        await using var cmd = Command("DELETE FROM auth_signing_keys WHERE id = @i", ("i", id));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    // ---- helpers
    private NpgsqlCommand Command(string sql, params (string Name, object Value)[] args)
    {
        var cmd = db.CreateCommand(sql);
        foreach (var (n, v) in args)
        {
            cmd.Parameters.AddWithValue(n, v);
        }
        return cmd;
    }

    private static async Task<List<T>> ReadAllAsync<T>(NpgsqlCommand cmd, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(read(reader));
        }
        return list;
    }
}
