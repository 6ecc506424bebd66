using System.Globalization;
using Infrastructure.Hosting.Processes;

namespace Infrastructure.Testing;

/// <summary>
/// A PostgreSQL of the test's own (never the shared one of <see cref="TestDependencies"/>), from Debian's binaries, in a
/// temp folder on 127.0.0.1 (<see cref="PostgresEngine"/>), for tests that stop and start the engine. Stopped and
/// removed when disposed.
/// </summary>
public sealed class OwnPostgres : IAsyncDisposable
{
    private readonly string _dir;
    private PostgresEngine? _engine;
    private OwnTmpfs? _tmpfs;
    private bool _frozen;

    private OwnPostgres(string dir) => _dir = dir;

    private PostgresEngine Engine => _engine ?? throw new InvalidOperationException("PostgreSQL did not start");

    /// <summary>The port it listens on (kept across stop and start).</summary>
    public int Port => Engine.Port;

    /// <summary>Npgsql connection string of the <c>postgres</c> database.</summary>
    public string ConnectionString => Engine.ConnectionString;

    /// <summary>initdb, then start; fails loudly when the binaries are missing.</summary>
    public static Task<OwnPostgres> StartAsync() => StartAsync(tmpfsMegabytes: null);

    /// <summary>
    /// As <see cref="StartAsync()"/>, with the whole folder (data, WAL, log) on a tmpfs of <paramref name="tmpfsMegabytes"/> MiB
    /// when given, so <see cref="FillDisk"/> can run it out of space; throws <see cref="TmpfsUnavailableException"/> when the
    /// mount is refused (not root, or no CAP_SYS_ADMIN in a container).
    /// </summary>
    public static async Task<OwnPostgres> StartAsync(int? tmpfsMegabytes)
    {
        if (EngineBinaries.FindPostgres() is null)
        {
            throw new InvalidOperationException(
                "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: run the tests with `dotnet pwsh ./build.ps1 test`, which installs Debian's postgresql.");
        }
        var pg = new OwnPostgres(Path.Combine(Path.GetTempPath(), "infra-own-pg-" + Guid.NewGuid().ToString("N")[..8]));
        try
        {
            if (tmpfsMegabytes is { } size)
            {
                pg._tmpfs = await OwnTmpfs.MountAsync(pg._dir, size);
            }
            pg._engine = await PostgresEngine.StartAsync(pg._dir);
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
        return pg;
    }

    /// <summary>Everything the server logged so far.</summary>
    public string Log => _engine?.Log ?? "";

    /// <summary><c>pg_ctl stop -m immediate</c>: every backend is killed at once, no checkpoint (a crash, as far as clients can tell).</summary>
    public Task StopImmediateAsync() => Engine.StopAsync(PostgresStop.Immediate);

    /// <summary>Starts the server (again) on the same port and folder; returns once it accepts connections.</summary>
    public Task StartAgainAsync() => Engine.StartAgainAsync();

    /// <summary>
    /// SIGSTOP to the postmaster and every backend (each backend is in a session of its own, so not one process group):
    /// connections are still accepted by the kernel, nothing is ever answered — a hung database.
    /// </summary>
    public async Task FreezeAsync()
    {
        _frozen = true;
        // The postmaster first, so it forks no backend that would escape.
        await SignalAsync("STOP", [Engine.Postmaster()]);
        await SignalAsync("STOP", Processes());
    }

    /// <summary>SIGCONT to the postmaster and its backends: the server carries on where it stopped.</summary>
    public async Task ThawAsync()
    {
        await SignalAsync("CONT", Processes());
        _frozen = false;
    }

    /// <summary>The server's process ids now: the postmaster and its children (backends, checkpointer, walwriter...).</summary>
    public IReadOnlyList<int> Processes()
    {
        var postmaster = Engine.Postmaster();
        return [postmaster, .. Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == postmaster)];
    }

    /// <summary>Fills the tmpfs (see <see cref="StartAsync(int?)"/>) until the kernel says it is full; returns the bytes written.</summary>
    public long FillDisk() => (_tmpfs ?? throw new InvalidOperationException("FillDisk needs a PostgreSQL started on a tmpfs")).Fill();

    /// <summary>Removes what <see cref="FillDisk"/> wrote.</summary>
    public void FreeDisk() => _tmpfs?.Free();

    private async Task SignalAsync(string signal, IReadOnlyList<int> pids)
    {
        var postmaster = Engine.Postmaster();
        foreach (var pid in pids)
        {
            try
            {
                await Signals.SendAsync(pid, signal);
            }
            catch (InvalidOperationException) when (pid != postmaster)
            {
                // A backend that ended between listing and signalling.
            }
        }
    }

    // Field 4 of /proc/{pid}/stat; the command in field 2 may hold spaces and parentheses, so count from the last ')'.
    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>Stops the server (immediate) and removes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_frozen)
        {
            // A stopped postmaster would hold SIGQUIT until continued: pg_ctl stop would wait its full timeout.
            await ThawAsync();
        }
        if (_engine is { IsRunning: true })
        {
            try
            {
                await StopImmediateAsync();
            }
            catch (InvalidOperationException)
            {
                // Not running.
            }
        }
        if (_tmpfs is not null)
        {
            await _tmpfs.DisposeAsync();
        }
        EngineBinaries.DeleteFolder(_dir);
    }
}

/// <summary>A tmpfs could not be mounted (not root, or no CAP_SYS_ADMIN in a container); tests that need a full disk skip with this message.</summary>
public sealed class TmpfsUnavailableException(string message) : Exception(message);

/// <summary>
/// A small tmpfs of the test's own on a folder, which the test can fill to the last byte (a full disk for whatever writes
/// there) and free again; unmounted when disposed. Needs root (<c>mount -t tmpfs</c>).
/// </summary>
public sealed class OwnTmpfs : IAsyncDisposable
{
    private OwnTmpfs(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    private string FillerPath => System.IO.Path.Combine(Path, "filler");

    /// <summary>Mounts a tmpfs of <paramref name="megabytes"/> MiB on <paramref name="folder"/> (created when missing); throws <see cref="TmpfsUnavailableException"/> when refused.</summary>
    public static async Task<OwnTmpfs> MountAsync(string folder, int megabytes)
    {
        Directory.CreateDirectory(folder);
        try
        {
            await ProcessRunner.RunCheckedAsync(new ProcessSpec("mount", ["-t", "tmpfs", "-o", $"size={megabytes}m,mode=0755", "tmpfs", folder]), TimeSpan.FromSeconds(90));
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            throw new TmpfsUnavailableException($"mount -t tmpfs refused ({e.Message.Trim()}): a full disk needs root with CAP_SYS_ADMIN");
        }
        return new OwnTmpfs(folder);
    }

    /// <summary>Writes a file of its own until the kernel says the tmpfs is full; returns the bytes written.</summary>
    public long Fill()
    {
        var written = 0L;
        // tmpfs keeps no reserve for root, so full is full for every user.
        using var filler = new FileStream(FillerPath, FileMode.Append, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        foreach (var size in new[] { 64 * 1024, 4096 })
        {
            // Large chunks first, then the last partial pages.
            var chunk = new byte[size];
            try
            {
                while (true)
                {
                    filler.Write(chunk);
                    written += size;
                }
            }
            catch (IOException)
            {
            }
        }
        return written;
    }

    /// <summary>Removes what <see cref="Fill"/> wrote.</summary>
    public void Free() => File.Delete(FillerPath);

    /// <summary>Unmounts (lazily, should something still hold a file open).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ProcessRunner.RunCheckedAsync(new ProcessSpec("umount", ["-l", Path]), TimeSpan.FromSeconds(90));
        }
        catch (InvalidOperationException)
        {
        }
    }
}

/// <summary>
/// A Redis of the test's own (never the shared one), Debian's <c>redis-server</c> as a child process on 127.0.0.1 without
/// persistence (<see cref="RedisEngine"/>), for tests that kill it. Killed when disposed.
/// </summary>
public sealed class OwnRedis : IAsyncDisposable
{
    private readonly string _dir;
    private readonly RedisEngine _engine;

    private OwnRedis(string dir, RedisEngine engine)
    {
        _dir = dir;
        _engine = engine;
    }

    /// <summary>The port it listens on (kept across kill and start).</summary>
    public int Port => _engine.Port;

    /// <summary>StackExchange.Redis configuration string.</summary>
    public string Configuration => _engine.Address;

    /// <summary>Starts it; returns once it answers PING.</summary>
    public static async Task<OwnRedis> StartAsync()
    {
        if (EngineBinaries.FindOnPath("redis-server") is null)
        {
            throw new InvalidOperationException("redis-server not found: run the tests with `dotnet pwsh ./build.ps1 test`, which installs Debian's redis-server.");
        }
        var dir = Path.Combine(Path.GetTempPath(), "infra-own-redis-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            return new OwnRedis(dir, await RedisEngine.StartAsync(dir));
        }
        catch
        {
            EngineBinaries.DeleteFolder(dir);
            throw;
        }
    }

    /// <summary>SIGKILL: connections drop, nothing is saved.</summary>
    public void Kill() => _engine.Kill();

    /// <summary>Starts it (again) on the same port, empty; returns once it answers PING.</summary>
    public Task StartAgainAsync() => _engine.StartAgainAsync();

    /// <summary>Kills it and removes its folder.</summary>
    public ValueTask DisposeAsync()
    {
        Kill();
        EngineBinaries.DeleteFolder(_dir);
        return ValueTask.CompletedTask;
    }
}
