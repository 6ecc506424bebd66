using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Infrastructure.Hosting.Processes;

/// <summary>
/// A throwaway Redis from the machine's (Debian) <c>redis-server</c> on 127.0.0.1, without persistence, in a folder
/// (its working dir and pid file). Either a child of this process (<see cref="Kill"/> is a SIGKILL), or daemonized so it
/// outlives this process until <see cref="StopInFolderAsync"/>. Disposing stops it.
/// </summary>
public sealed class RedisEngine : IAsyncDisposable
{
    /// <summary>Why <see cref="StartAsync"/> cannot run here, when there is no <c>redis-server</c> on PATH.</summary>
    public const string Missing = "no redis-server binary (apt-get install redis-server)";

    private const string PidFileName = "redis.pid";
    private readonly string _binary;
    private readonly bool _daemonize;
    private ChildProcess? _child;

    private RedisEngine(string binary, string folder, int port, bool daemonize)
    {
        _binary = binary;
        Folder = folder;
        Port = port;
        _daemonize = daemonize;
    }

    /// <summary>The engine's folder.</summary>
    public string Folder { get; }

    /// <summary>The port it listens on (kept across kill and start).</summary>
    public int Port { get; }

    /// <summary>Its address, a StackExchange.Redis configuration string.</summary>
    public string Address => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    private string PidFile => Path.Combine(Folder, PidFileName);

    /// <summary>
    /// Starts redis-server on <paramref name="port"/> (a free one when null) with <paramref name="folder"/> as its dir;
    /// returns once it answers PING. Throws <see cref="InvalidOperationException"/> when the binary is missing
    /// (<see cref="Missing"/>) or it does not start.
    /// </summary>
    public static async Task<RedisEngine> StartAsync(string folder, int? port = null, bool daemonize = false)
    {
        var binary = EngineBinaries.FindOnPath("redis-server") ?? throw new InvalidOperationException(Missing);
        Directory.CreateDirectory(folder);
        var redis = new RedisEngine(binary, folder, port ?? LoopbackPort.Next(), daemonize);
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

    /// <summary>Starts it (again) on the same port, empty; returns once it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        string[] args =
        [
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", Folder, "--pidfile", PidFile, "--daemonize", _daemonize ? "yes" : "no",
        ];
        var spec = new ProcessSpec(_binary, args) { WorkingDirectory = Folder, KeepLines = 50 };
        if (_daemonize)
        {
            // The launcher forks the server and returns.
            await ProcessRunner.RunCheckedAsync(spec, TimeSpan.FromSeconds(30));
        }
        else
        {
            _child = ChildProcess.Start(spec);
        }
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_child is { HasExited: true } c)
            {
                throw new InvalidOperationException($"redis-server exited with {c.ExitCode} (port {Port} taken?): {c.Output}");
            }
            if (await PingAsync()) { return; }
            await Task.Delay(100);
        }
        throw new TimeoutException($"redis-server on {Port} did not answer PING within 30 s");
    }

    /// <summary>SIGKILL: connections drop, nothing is saved (a child engine only).</summary>
    public void Kill()
    {
        _child?.Dispose();
        _child = null;
    }

    /// <summary>Stops the Redis whose pid file is in <paramref name="folder"/> (SIGTERM); false when none runs there.</summary>
    public static async Task<bool> StopInFolderAsync(string folder)
    {
        var pidFile = Path.Combine(folder, PidFileName);
        // A daemon writes its pid file just after it forks.
        for (var i = 0; i < 50 && !File.Exists(pidFile); i++) { await Task.Delay(100); }
        if (!File.Exists(pidFile)) { return false; }
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
        try
        {
            await Signals.SendAsync(pid, "TERM");
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        // Redis removes its pid file as it exits.
        for (var i = 0; i < 100 && File.Exists(pidFile); i++) { await Task.Delay(100); }
        return true;
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
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops it: a child gracefully (SIGTERM, then a kill after 10 s), a daemon by its pid file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_child is not null)
        {
            await _child.StopAsync(TimeSpan.FromSeconds(10));
            Kill();
        }
        else if (_daemonize)
        {
            await StopInFolderAsync(Folder);
        }
    }
}
