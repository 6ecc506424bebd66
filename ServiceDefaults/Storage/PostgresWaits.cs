using System.Data.Common;
using System.Globalization;

namespace Infrastructure.ServiceDefaults.Storage;

/// <summary>
/// Bounds on how long a server waits for PostgreSQL, added to an Npgsql connection string that does not set them. A
/// database that hangs (stopped process, frozen VM) still accepts TCP connections in the kernel, so only these timeouts end
/// the wait: a query on a pooled connection waits <c>Command Timeout</c>, then Npgsql's cancellation request opens a new
/// connection whose GSS and SSL negotiation each wait up to <c>Timeout</c>; a new connection waits <c>Timeout</c>. Worst
/// case <c>Command Timeout + 2 × Timeout</c>: 15 s here, 60 s with Npgsql's defaults (15 s, 30 s). TCP keepalive does not
/// help against a stopped process, whose kernel answers the probes.
/// </summary>
public static class PostgresWaits
{
    /// <summary>Npgsql <c>Timeout</c> (seconds) used when the connection string has none: opening a connection, and waiting for a free one in the pool.</summary>
    public const int ConnectSeconds = 5;

    /// <summary>Npgsql <c>Command Timeout</c> (seconds) used when the connection string has none. Npgsql then cancels the query and waits up to its <c>Cancellation Timeout</c> (2 s) before dropping the connection.</summary>
    public const int CommandSeconds = 5;

    /// <summary>Returns <paramref name="connectionString"/> with <c>Timeout</c> and <c>Command Timeout</c> added where it does not set them; values it sets are kept.</summary>
    public static string Bounded(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var keys = builder.Keys.Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet();
        if (!keys.Overlaps(["timeout", "connecttimeout", "connectiontimeout"]))
        {
            builder["Timeout"] = ConnectSeconds.ToString(CultureInfo.InvariantCulture);
        }
        if (!keys.Contains("commandtimeout"))
        {
            builder["Command Timeout"] = CommandSeconds.ToString(CultureInfo.InvariantCulture);
        }
        return builder.ConnectionString;
    }
}
