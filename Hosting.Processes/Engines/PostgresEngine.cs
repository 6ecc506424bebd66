using System.Globalization;

namespace Infrastructure.Hosting.Processes;

/// <summary>How <see cref="PostgresEngine.StopAsync"/> stops the server (<c>pg_ctl stop -m</c>).</summary>
public enum PostgresStop
{
    /// <summary>Rolls back open transactions and disconnects clients, then a checkpoint.</summary>
    Fast,

    /// <summary>Every backend is killed at once, no checkpoint: a crash, as far as clients can tell.</summary>
    Immediate,
}

/// <summary>
/// A throwaway PostgreSQL from the machine's (Debian) binaries: <c>initdb</c> in a folder, <c>pg_ctl start</c> on
/// 127.0.0.1 with its socket in that folder, trust authentication for the <c>postgres</c> user, <c>fsync=off</c>.
/// When run as root the server runs as the package's <c>postgres</c> user (initdb refuses root). The server outlives
/// this object unless it is stopped; disposing stops it (fast). The folder is the caller's to remove.
/// </summary>
public sealed class PostgresEngine : IAsyncDisposable
{
    /// <summary>Why <see cref="StartAsync"/> cannot run here, when <see cref="EngineBinaries.FindPostgres"/> finds nothing.</summary>
    public const string Missing = "no PostgreSQL binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);
    private readonly string _bin;
    private readonly string? _asUser;
    private readonly int? _maxConnections;

    private PostgresEngine(string bin, string folder, int port, int? maxConnections)
    {
        _bin = bin;
        Folder = folder;
        Port = port;
        _maxConnections = maxConnections;
        _asUser = Users.IsRoot() ? "postgres" : null;
    }

    /// <summary>The engine's folder: <c>data</c>, <c>log</c> and the Unix socket.</summary>
    public string Folder { get; }

    /// <summary>The port it listens on (kept across stop and start).</summary>
    public int Port { get; }

    /// <summary>Npgsql connection string of the <c>postgres</c> database.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres");

    /// <summary>The data directory (<c>initdb -D</c>).</summary>
    public string DataDirectory => Path.Combine(Folder, "data");

    /// <summary>Everything the server logged so far.</summary>
    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    private string LogFile => Path.Combine(Folder, "log");

    /// <summary>
    /// Creates the folder (it may exist, e.g. a tmpfs mounted there), runs <c>initdb</c> and starts the server on
    /// <paramref name="port"/> (a free one when null); returns once it accepts connections. Throws
    /// <see cref="InvalidOperationException"/> when the binaries are missing (<see cref="Missing"/>) or a step fails.
    /// </summary>
    /// <param name="folder">Where data, log and socket go.</param>
    /// <param name="port">The port; a free loopback port when null.</param>
    /// <param name="maxConnections">PostgreSQL's <c>max_connections</c>; its default (100) when null.</param>
    public static async Task<PostgresEngine> StartAsync(string folder, int? port = null, int? maxConnections = null)
    {
        var bin = EngineBinaries.FindPostgres() ?? throw new InvalidOperationException(Missing);
        Directory.CreateDirectory(folder);
        var engine = new PostgresEngine(bin, folder, port ?? LoopbackPort.Next(), maxConnections);
        if (engine._asUser is not null)
        {
            await ProcessRunner.RunCheckedAsync(new ProcessSpec("chown", ["-R", engine._asUser, folder]), CommandTimeout);
            // The postgres user must pass through the folder above (a `mktemp -d` folder is 0700): traverse, not list.
            if (!OperatingSystem.IsWindows() && Path.GetDirectoryName(Path.GetFullPath(folder)) is { } parent)
            {
                File.SetUnixFileMode(parent, File.GetUnixFileMode(parent) | UnixFileMode.OtherExecute);
            }
        }
        await engine.PgAsync("initdb", ["-D", engine.DataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        await engine.StartAgainAsync();
        return engine;
    }

    /// <summary>The server whose folder is <paramref name="folder"/>, if one runs there (its <c>postmaster.pid</c>), else null.</summary>
    public static PostgresEngine? Find(string folder)
    {
        var pidFile = Path.Combine(folder, "data", "postmaster.pid");
        if (EngineBinaries.FindPostgres() is not { } bin || !File.Exists(pidFile)) { return null; }
        // Line 4 of postmaster.pid is the port.
        var lines = File.ReadAllLines(pidFile);
        return lines.Length > 3 && int.TryParse(lines[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? new PostgresEngine(bin, folder, port, maxConnections: null)
            : null;
    }

    /// <summary>Starts the server (again) on the same port and folder; returns once it accepts connections.</summary>
    public Task StartAgainAsync()
    {
        var options = string.Create(CultureInfo.InvariantCulture, $"-p {Port} -k {Folder} -c listen_addresses=127.0.0.1 -c fsync=off");
        if (_maxConnections is { } max) { options += string.Create(CultureInfo.InvariantCulture, $" -c max_connections={max}"); }
        return PgAsync("pg_ctl", ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options, "start"]);
    }

    /// <summary><c>pg_ctl stop</c> in the given mode, waiting until it is down.</summary>
    public Task StopAsync(PostgresStop mode = PostgresStop.Fast) =>
        PgAsync("pg_ctl", ["-D", DataDirectory, "-m", mode == PostgresStop.Fast ? "fast" : "immediate", "-w", "stop"]);

    /// <summary>Whether the server runs (its <c>postmaster.pid</c> is there).</summary>
    public bool IsRunning => File.Exists(Path.Combine(DataDirectory, "postmaster.pid"));

    /// <summary>The postmaster's process id (line 1 of <c>postmaster.pid</c>).</summary>
    public int Postmaster() =>
        int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First().Trim(), NumberStyles.None, CultureInfo.InvariantCulture);

    private Task PgAsync(string program, string[] args) =>
        ProcessRunner.RunCheckedAsync(new ProcessSpec(Path.Combine(_bin, program), args) { AsUser = _asUser }, CommandTimeout);

    /// <summary>Stops the server (fast) if it runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!IsRunning) { return; }
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Not running after all.
        }
    }
}
