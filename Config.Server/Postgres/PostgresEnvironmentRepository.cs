using System.Globalization;
using Infrastructure.Config.Server.Environment;
using Infrastructure.ServiceDefaults.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Infrastructure.Config.Server.Postgres;

/// <summary>
/// Spring's JDBC backend: rows of <c>properties(application, profile, label, key, value)</c>, one property source per
/// (application, profile) pair in Spring's order; every write goes through <see cref="WriteAsync"/>, which keeps the old and new
/// value in <c>properties_history</c> and whose id is the environment <c>version</c>.
/// </summary>
internal sealed partial class PostgresEnvironmentRepository(NpgsqlDataSource dataSource, IOptions<PostgresOptions> options, ILogger<PostgresEnvironmentRepository> logger) : IEnvironmentRepository
{
    private readonly PostgresOptions _options = options.Value;

    public string Kind => "postgres";

    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS properties (
            application text NOT NULL,
            profile     text NOT NULL,
            label       text NOT NULL,
            key         text NOT NULL,
            value       text,
            PRIMARY KEY (application, profile, label, key));
        CREATE TABLE IF NOT EXISTS properties_history (
            id          bigserial PRIMARY KEY,
            application text NOT NULL,
            profile     text NOT NULL,
            label       text NOT NULL,
            key         text NOT NULL,
            old_value   text,
            new_value   text,
            changed_by  text NOT NULL,
            changed_at  timestamptz NOT NULL DEFAULT now());
        """;

    /// <summary>Creates the tables when missing (Spring leaves this to the operator; we do it on start).</summary>
    public async Task EnsureSchemaAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(Schema);
        // Start-up only: replicas starting together may wait on each other's catalog locks longer than a request may.
        cmd.CommandTimeout = 120;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<ConfigEnvironment> FindOneAsync(string application, IReadOnlyList<string> profiles, string? label, CancellationToken ct)
    {
        try
        {
            return await ReadAsync(application, profiles, label, ct);
        }
        catch (Exception e) when (Translate(e) is { } answer)
        {
            throw answer;
        }
    }

    /// <summary>
    /// The database's trouble as the answer Config.Server gives: out of space → <see cref="BackendStorageFullException"/> (507),
    /// unreachable or past its timeouts → <see cref="BackendUnavailableException"/> (503); anything else stays a 500.
    /// </summary>
    internal static Exception? Translate(Exception e) =>
        PostgresFailures.IsDiskFull(e)
            ? new BackendStorageFullException("The configuration database is out of disk space; nothing of this change was stored", e)
            : PostgresFailures.IsUnavailable(e)
                ? new BackendUnavailableException("The configuration database is unavailable; retry later", e)
                : null;

    private async Task<ConfigEnvironment> ReadAsync(string application, IReadOnlyList<string> profiles, string? label, CancellationToken ct)
    {
        var effectiveLabel = label ?? _options.DefaultLabel;
        var pairs = new List<(string App, string Profile)>();
        foreach (var name in FileEnvironmentBuilder.CandidateNames(application, profiles))
        {
            // CandidateNames yields "{app}-{profile}" / "{app}"; map them back to the table's columns.
            var pair = SplitCandidate(name, application, profiles);
            if (!pairs.Contains(pair))
            {
                pairs.Add(pair);
            }
        }
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var sources = new List<PropertySource>();
        foreach (var (app, profile) in pairs)
        {
            await using var cmd = new NpgsqlCommand("SELECT key, value FROM properties WHERE application = $1 AND profile = $2 AND label = $3 ORDER BY key", conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = app });
            cmd.Parameters.Add(new NpgsqlParameter { Value = profile });
            cmd.Parameters.Add(new NpgsqlParameter { Value = effectiveLabel });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var source = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            while (await reader.ReadAsync(ct))
            {
                source[reader.GetString(0)] = reader.IsDBNull(1) ? "" : reader.GetString(1);
            }
            if (source.Count > 0)
            {
                sources.Add(new PropertySource($"{app}-{profile}", source));
            }
        }
        await using var version = new NpgsqlCommand("SELECT coalesce(max(id), 0) FROM properties_history", conn);
        return new ConfigEnvironment
        {
            Name = application,
            Profiles = [.. profiles],
            Label = effectiveLabel,
            Version = Convert.ToString(await version.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture),
            PropertySources = sources,
        };
    }

    private static (string, string) SplitCandidate(string name, string application, IReadOnlyList<string> profiles)
    {
        foreach (var p in profiles)
        {
            if (name == application + "-" + p)
            {
                return (application, p);
            }
            if (name == "application-" + p)
            {
                return ("application", p);
            }
        }
        return (name, "default");
    }

    public Task<PlainTextResource?> FindResourceAsync(string application, IReadOnlyList<string> profiles, string? label, string path, CancellationToken ct) =>
        Task.FromResult<PlainTextResource?>(null);

    /// <summary>Upserts (value non-null) or deletes one property, recording the change; returns the history row, or null when nothing changed.</summary>
    public async Task<PropertyChange?> WriteAsync(string application, string profile, string label, string key, string? value, string changedBy, CancellationToken ct)
    {
        try
        {
            return await WriteCoreAsync(application, profile, label, key, value, changedBy, ct);
        }
        catch (Exception e) when (Translate(e) is { } answer)
        {
            // One transaction: the row and its history line are both stored or neither is.
            throw answer;
        }
    }

    private async Task<PropertyChange?> WriteCoreAsync(string application, string profile, string label, string key, string? value, string changedBy, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        string? old;
        await using (var select = new NpgsqlCommand("SELECT value FROM properties WHERE application = $1 AND profile = $2 AND label = $3 AND key = $4 FOR UPDATE", conn, tx))
        {
            AddParams(select, application, profile, label, key);
            var result = await select.ExecuteScalarAsync(ct);
            old = result is null or DBNull ? null : (string)result;
            if (result is null && value is null)
            {
                return null;
            }
        }
        var sql = value is null
            ? "DELETE FROM properties WHERE application = $1 AND profile = $2 AND label = $3 AND key = $4"
            : "INSERT INTO properties (application, profile, label, key, value) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (application, profile, label, key) DO UPDATE SET value = EXCLUDED.value";
        await using (var write = new NpgsqlCommand(sql, conn, tx))
        {
            AddParams(write, application, profile, label, key);
            if (value is not null)
            {
                write.Parameters.Add(new NpgsqlParameter { Value = value });
            }
            await write.ExecuteNonQueryAsync(ct);
        }
        PropertyChange change;
        await using (var history = new NpgsqlCommand(
            "INSERT INTO properties_history (application, profile, label, key, old_value, new_value, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, changed_at", conn, tx))
        {
            AddParams(history, application, profile, label, key);
            history.Parameters.Add(new NpgsqlParameter { Value = (object?)old ?? DBNull.Value });
            history.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value });
            history.Parameters.Add(new NpgsqlParameter { Value = changedBy });
            await using var r = await history.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            change = new PropertyChange(r.GetInt64(0), application, profile, label, key, old, value, changedBy, r.GetFieldValue<DateTimeOffset>(1));
        }
        // NOTIFY is delivered on commit, to every replica listening (this one included), which then publishes the refresh event.
        await using (var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", conn, tx))
        {
            notify.Parameters.Add(new NpgsqlParameter { Value = _options.NotifyChannel });
            notify.Parameters.Add(new NpgsqlParameter { Value = $"{application}\t{profile}\t{label}" });
            await notify.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        LogWritten(logger, application, profile, label, key, changedBy, change.Id);
        return change;
    }

    /// <summary>The change history, newest first, optionally for one application.</summary>
    public async Task<List<PropertyChange>> HistoryAsync(string? application, int limit, CancellationToken ct)
    {
        try
        {
            return await HistoryCoreAsync(application, limit, ct);
        }
        catch (Exception e) when (Translate(e) is { } answer)
        {
            throw answer;
        }
    }

    private async Task<List<PropertyChange>> HistoryCoreAsync(string? application, int limit, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT id, application, profile, label, key, old_value, new_value, changed_by, changed_at FROM properties_history WHERE ($1::text IS NULL OR application = $1) ORDER BY id DESC LIMIT $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)application ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<PropertyChange>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new PropertyChange(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetString(7), r.GetFieldValue<DateTimeOffset>(8)));
        }
        return list;
    }

    private static void AddParams(NpgsqlCommand cmd, string application, string profile, string label, string key)
    {
        cmd.Parameters.Add(new NpgsqlParameter { Value = application });
        cmd.Parameters.Add(new NpgsqlParameter { Value = profile });
        cmd.Parameters.Add(new NpgsqlParameter { Value = label });
        cmd.Parameters.Add(new NpgsqlParameter { Value = key });
    }

    [LoggerMessage(EventId = 1701, Level = LogLevel.Information, Message = "Property {Application}/{Profile}/{Label} {Key} changed by {User} (version {Version})")]
    private static partial void LogWritten(ILogger logger, string application, string profile, string label, string key, string user, long version);
}

/// <summary>One row of <c>properties_history</c>: who changed what, when, from which value to which (null new value = deleted).</summary>
public sealed record PropertyChange(long Id, string Application, string Profile, string Label, string Key, string? OldValue, string? NewValue, string ChangedBy, DateTimeOffset ChangedAt);
