using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Infrastructure.Testing;

/// <summary>
/// A PostgreSQL of the test's own (never the shared one of <see cref="TestDependencies"/>), from Debian's binaries, in a
/// temp folder on 127.0.0.1, for tests that stop and start the engine. Run as the <c>postgres</c> user when the tests run
/// as root (initdb refuses root). Stopped and removed when disposed.
/// </summary>
public sealed class OwnPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly string? _asUser;
    private OwnTmpfs? _tmpfs;
    private bool _frozen;

    private OwnPostgres(string bin, string dir, string? asUser, int port)
    {
        _bin = bin;
        _dir = dir;
        _asUser = asUser;
        Port = port;
    }

    /// <summary>The port it listens on (kept across stop and start).</summary>
    public int Port { get; }

    /// <summary>Npgsql connection string of the <c>postgres</c> database.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres";

    /// <summary>initdb, then start; fails loudly when the binaries are missing.</summary>
    public static Task<OwnPostgres> StartAsync() => StartAsync(tmpfsMegabytes: null);

    /// <summary>
    /// As <see cref="StartAsync()"/>, with the whole folder (data, WAL, log) on a tmpfs of <paramref name="tmpfsMegabytes"/> MiB
    /// when given, so <see cref="FillDisk"/> can run it out of space; throws <see cref="TmpfsUnavailableException"/> when the
    /// mount is refused (not root, or no CAP_SYS_ADMIN in a container).
    /// </summary>
    public static async Task<OwnPostgres> StartAsync(int? tmpfsMegabytes)
    {
        var bin = FindBin() ?? throw new InvalidOperationException(
            "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: run the tests with `dotnet pwsh ./build.ps1 test`, which installs Debian's postgresql.");
        var dir = Path.Combine(Path.GetTempPath(), "infra-own-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var asUser = OwnEngine.IsRoot() ? "postgres" : null;
        var pg = new OwnPostgres(bin, dir, asUser, FreePort.Next());
        try
        {
            if (tmpfsMegabytes is { } size)
            {
                pg._tmpfs = await OwnTmpfs.MountAsync(dir, size);
            }
            if (asUser is not null)
            {
                await OwnEngine.RunAsync("chown", ["-R", "postgres", dir]);
            }
            await OwnEngine.RunAsync(Path.Combine(bin, "initdb"), ["-D", pg.Data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"], asUser);
            await pg.StartAgainAsync();
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
        return pg;
    }

    private string Data => Path.Combine(_dir, "data");

    /// <summary>Everything the server logged so far.</summary>
    public string Log => File.Exists(Path.Combine(_dir, "log")) ? File.ReadAllText(Path.Combine(_dir, "log")) : "";

    /// <summary><c>pg_ctl stop -m immediate</c>: every backend is killed at once, no checkpoint (a crash, as far as clients can tell).</summary>
    public Task StopImmediateAsync() =>
        OwnEngine.RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Data, "-m", "immediate", "-w", "stop"], _asUser);

    /// <summary>Starts the server (again) on the same port and folder; returns once it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        await OwnEngine.RunAsync(Path.Combine(_bin, "pg_ctl"),
            ["-D", Data, "-l", Path.Combine(_dir, "log"), "-w", "-t", "60", "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"], _asUser);
    }

    /// <summary>
    /// SIGSTOP to the postmaster and every backend (each backend is in a session of its own, so not one process group):
    /// connections are still accepted by the kernel, nothing is ever answered — a hung database.
    /// </summary>
    public async Task FreezeAsync()
    {
        _frozen = true;
        // The postmaster first, so it forks no backend that would escape.
        await SignalAsync("STOP", [Postmaster()]);
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
        var postmaster = Postmaster();
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
        var postmaster = Postmaster();
        foreach (var pid in pids)
        {
            try
            {
                await OwnEngine.RunAsync("kill", ["-s", signal, pid.ToString(CultureInfo.InvariantCulture)]);
            }
            catch (InvalidOperationException) when (pid != postmaster)
            {
                // A backend that ended between listing and signalling.
            }
        }
    }

    private int Postmaster() =>
        int.Parse(File.ReadLines(Path.Combine(Data, "postmaster.pid")).First().Trim(), NumberStyles.None, CultureInfo.InvariantCulture);

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
        if (File.Exists(Path.Combine(Data, "postmaster.pid")))
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
        OwnEngine.DeleteFolder(_dir);
    }

    private static string? FindBin()
    {
        const string Base = "/usr/lib/postgresql";
        if (!Directory.Exists(Base))
        {
            return null;
        }
        return Directory.GetDirectories(Base)
            .OrderByDescending(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0)
            .Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb")));
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
            await OwnEngine.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={megabytes}m,mode=0755", "tmpfs", folder]);
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
            await OwnEngine.RunAsync("umount", ["-l", Path]);
        }
        catch (InvalidOperationException)
        {
        }
    }
}

/// <summary>
/// A Redis of the test's own (never the shared one), Debian's <c>redis-server</c> as a child process on 127.0.0.1 without
/// persistence, for tests that kill it. Killed when disposed.
/// </summary>
public sealed class OwnRedis : IAsyncDisposable
{
    private readonly string _dir;
    private Process? _process;

    private OwnRedis(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    /// <summary>The port it listens on (kept across kill and start).</summary>
    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>Starts it; returns once it answers PING.</summary>
    public static async Task<OwnRedis> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "infra-own-redis-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var redis = new OwnRedis(dir, FreePort.Next());
        try
        {
            await redis.StartAgainAsync();
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
        return redis;
    }

    /// <summary>SIGKILL: connections drop, nothing is saved.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit(10_000);
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts it (again) on the same port, empty; returns once it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        var binary = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator)
            .Select(p => Path.Combine(p, "redis-server")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server not found: run the tests with `dotnet pwsh ./build.ps1 test`, which installs Debian's redis-server.");
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
        };
        foreach (var a in new[] { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir })
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start redis-server");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode} (port {Port} taken?)");
            }
            if (await PingAsync())
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"redis-server on {Port} did not answer PING within 30 s");
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync("127.0.0.1", Port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[16];
            var n = await stream.ReadAsync(buffer, cts.Token);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Kills it and removes its folder.</summary>
    public ValueTask DisposeAsync()
    {
        Kill();
        OwnEngine.DeleteFolder(_dir);
        return ValueTask.CompletedTask;
    }
}

internal static class OwnEngine
{
    public static bool IsRoot() => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    public static void DeleteFolder(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static async Task RunAsync(string file, string[] args, string? asUser = null)
    {
        var psi = asUser is null ? new ProcessStartInfo(file) : new ProcessStartInfo("runuser");
        if (asUser is not null)
        {
            foreach (var a in new[] { "-u", asUser, "--", file })
            {
                psi.ArgumentList.Add(a);
            }
        }
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} did not finish within 90 s");
        }
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}: {await output}{await error}");
        }
    }
}
