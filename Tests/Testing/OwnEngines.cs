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
    public static async Task<OwnPostgres> StartAsync()
    {
        var bin = FindBin() ?? throw new InvalidOperationException(
            "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: run the tests with `dotnet pwsh ./build.ps1 test`, which installs Debian's postgresql.");
        var dir = Path.Combine(Path.GetTempPath(), "infra-own-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var asUser = OwnEngine.IsRoot() ? "postgres" : null;
        if (asUser is not null)
        {
            await OwnEngine.RunAsync("chown", ["-R", "postgres", dir]);
        }
        var pg = new OwnPostgres(bin, dir, asUser, FreePort.Next());
        try
        {
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

    /// <summary>Stops the server (immediate) and removes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
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
