using Infrastructure.Testing;
using Npgsql;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>A PostgreSQL database of its own on the shared test server, dropped when disposed.</summary>
public sealed class TestDatabase : IDisposable
{
    public TestDatabase()
    {
        Name = "auth_t_" + Guid.NewGuid().ToString("N");
        using (var conn = new NpgsqlConnection(TestDependencies.Postgres))
        {
            conn.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {Name}", conn);
            cmd.ExecuteNonQuery();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(TestDependencies.Postgres) { Database = Name, Pooling = false }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        using var conn = new NpgsqlConnection(TestDependencies.Postgres);
        conn.Open();
        using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", conn);
        cmd.ExecuteNonQuery();
    }
}
