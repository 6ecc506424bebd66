namespace Infrastructure.Hosting.Processes;

/// <summary>
/// The engines one run needs (PostgreSQL in <c>{folder}/pg</c>, Redis in <c>{folder}/redis</c>), started on free
/// loopback ports in one folder, so that whoever knows the folder can stop them (<see cref="StopInFolderAsync"/>) even
/// from another process. Disposing stops what it started and, when it made the folder, removes it.
/// </summary>
public sealed class EngineSet : IAsyncDisposable
{
    private readonly bool _removeFolder;
    private readonly List<IAsyncDisposable> _started = [];

    /// <summary>Engines in <paramref name="folder"/>; a new temp folder, removed on dispose, when null.</summary>
    public EngineSet(string? folder = null)
    {
        _removeFolder = folder is null;
        Folder = folder ?? Path.Combine(Path.GetTempPath(), "infra-engines-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Folder);
    }

    /// <summary>The folder every engine lives in.</summary>
    public string Folder { get; }

    /// <summary>A fresh folder inside <see cref="Folder"/>, for whatever else the run keeps there.</summary>
    public string Subfolder(string name)
    {
        var path = Path.Combine(Folder, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Starts PostgreSQL (<see cref="PostgresEngine"/>); null and the reason when the binaries are missing.</summary>
    public async Task<(PostgresEngine? Engine, string? Why)> StartPostgresAsync(int? maxConnections = null)
    {
        if (EngineBinaries.FindPostgres() is null) { return (null, PostgresEngine.Missing); }
        var engine = await PostgresEngine.StartAsync(Path.Combine(Folder, "pg"), maxConnections: maxConnections);
        _started.Add(engine);
        return (engine, null);
    }

    /// <summary>Starts Redis daemonized (<see cref="RedisEngine"/>); null and the reason when the binary is missing.</summary>
    public async Task<(RedisEngine? Engine, string? Why)> StartRedisAsync()
    {
        if (EngineBinaries.FindOnPath("redis-server") is null) { return (null, RedisEngine.Missing); }
        var engine = await RedisEngine.StartAsync(Path.Combine(Folder, "redis"), daemonize: true);
        _started.Add(engine);
        return (engine, null);
    }

    /// <summary>Leaves the engines running when disposed (they are stopped later by <see cref="StopInFolderAsync"/>).</summary>
    public void Detach() => _started.Clear();

    /// <summary>Stops the engines an <see cref="EngineSet"/> started in <paramref name="folder"/>; returns what it stopped.</summary>
    public static async Task<IReadOnlyList<string>> StopInFolderAsync(string folder)
    {
        var stopped = new List<string>();
        if (PostgresEngine.Find(Path.Combine(folder, "pg")) is { } pg)
        {
            await pg.StopAsync();
            stopped.Add("PostgreSQL");
        }
        if (Directory.Exists(Path.Combine(folder, "redis")) && await RedisEngine.StopInFolderAsync(Path.Combine(folder, "redis")))
        {
            stopped.Add("Redis");
        }
        return stopped;
    }

    /// <summary>Stops what it started, in reverse order; removes the folder when it made it.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var engine in Enumerable.Reverse(_started))
        {
            try
            {
                await engine.DisposeAsync();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
        _started.Clear();
        if (_removeFolder) { EngineBinaries.DeleteFolder(Folder); }
    }
}
