namespace Infrastructure.Config.Server.Postgres;

/// <summary><c>ConfigServer:Postgres</c>: Spring's JDBC backend on PostgreSQL; setting <see cref="ConnectionString"/> selects it.</summary>
public sealed class PostgresOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ConfigServer:Postgres";

    /// <summary>Npgsql connection string. No default.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Label used when a request has none. Default <c>master</c>, as Spring's JDBC backend.</summary>
    public string DefaultLabel { get; set; } = "master";

    /// <summary>The <c>LISTEN/NOTIFY</c> channel every replica listens on. Default <c>config_changes</c>.</summary>
    public string NotifyChannel { get; set; } = "config_changes";
}
