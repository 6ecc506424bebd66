using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Infrastructure.Samples.Lab;

/// <summary>Real PostgreSQL / Redis from the machine's (Debian) binaries, in a temp folder on loopback; removed on stop.</summary>
internal sealed class Engines : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "infra-lab-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<Func<Task>> _stops = [];

    /// <summary>A fresh folder inside the lab's temp dir, removed with it on stop.</summary>
    public string Folder(string name)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public static string? FindPostgresBin()
    {
        const string Base = "/usr/lib/postgresql";
        if (!Directory.Exists(Base)) { return null; }
        return Directory.GetDirectories(Base)
            .OrderByDescending(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0)
            .Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb")));
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(p => Path.Combine(p, name)).FirstOrDefault(File.Exists);

    /// <summary>Starts PostgreSQL; returns its Npgsql connection string, or null with the reason.</summary>
    public async Task<(string? ConnectionString, string? Why)> StartPostgresAsync()
    {
        var bin = FindPostgresBin();
        if (bin is null) { return (null, "no PostgreSQL binaries (apt-get install postgresql)"); }
        var pg = Path.Combine(_dir, "pg");
        Directory.CreateDirectory(pg);
        var asUser = IsRoot() ? "postgres" : null;
        if (asUser is not null) { await RunAsync("chown", ["-R", "postgres", _dir]); }
        var port = FreePort();
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", Path.Combine(pg, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"], asUser);
        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(pg, "data"), "-l", Path.Combine(pg, "log"), "-w", "-o", $"-p {port} -k {pg} -c listen_addresses=127.0.0.1", "start"], asUser);
        _stops.Add(() => RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(pg, "data"), "-m", "fast", "stop"], asUser));
        return ($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres", null);
    }

    /// <summary>Starts Redis; returns its address, or null with the reason.</summary>
    public async Task<(string? Address, string? Why)> StartRedisAsync()
    {
        var redis = FindOnPath("redis-server");
        if (redis is null) { return (null, "no redis-server binary (apt-get install redis-server)"); }
        Directory.CreateDirectory(_dir);
        var port = FreePort();
        var pidFile = Path.Combine(_dir, "redis.pid");
        await RunAsync(redis, ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidFile, "--dir", _dir]);
        _stops.Add(async () =>
        {
            for (var i = 0; i < 50 && !File.Exists(pidFile); i++) { await Task.Delay(100); }
            if (File.Exists(pidFile)) { await RunAsync("kill", [(await File.ReadAllTextAsync(pidFile)).Trim()]); }
        });
        return ($"127.0.0.1:{port}", null);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var stop in Enumerable.Reverse(_stops))
        {
            try { await stop(); } catch (InvalidOperationException) { }
        }
        try { if (Directory.Exists(_dir)) { Directory.Delete(_dir, recursive: true); } } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static bool IsRoot() => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] args, string? asUser = null)
    {
        var psi = asUser is null ? new ProcessStartInfo(file) : new ProcessStartInfo("runuser");
        if (asUser is not null) { foreach (var a in new[] { "-u", asUser, "--", file }) { psi.ArgumentList.Add(a); } }
        foreach (var a in args) { psi.ArgumentList.Add(a); }
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}: {await output}{await error}");
        }
    }
}
