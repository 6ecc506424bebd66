using System.Data.Common;
using Npgsql;

namespace Infrastructure.ServiceDefaults.Storage;

/// <summary>Which PostgreSQL failures a server answers as "try again later" (503) or "out of storage" (507), rather than as its own bug (500).</summary>
public static class PostgresFailures
{
    /// <summary>
    /// The database cannot be reached or will not work right now: refused, reset or timed-out connections, a pool with no
    /// free connection before <c>Timeout</c>, a command past <c>Command Timeout</c>, a server shutting down, starting or
    /// out of connections (SQLSTATE classes 08 and 57P, and Npgsql's transient errors).
    /// </summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException p => p.IsTransient || p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal),
        DbException d => d.IsTransient || d.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException,
        TimeoutException => true,
        _ => e.InnerException is { } inner && IsUnavailable(inner),
    };

    /// <summary>The database could not write for lack of space: SQLSTATE 53100 <c>disk_full</c> ("could not extend file … No space left on device").</summary>
    public static bool IsDiskFull(Exception e) => e switch
    {
        PostgresException p => p.SqlState == PostgresErrorCodes.DiskFull,
        _ => e.InnerException is { } inner && IsDiskFull(inner),
    };
}
