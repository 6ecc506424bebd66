using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Infrastructure.Testing;

/// <summary>
/// A TCP relay on a loopback port to a target port, which the test can cut (a network partition: open connections are
/// reset, new ones reset at once) and restore. Point one side's peer URL at <see cref="Port"/> instead of the other side.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, (Socket Client, Socket Upstream)> _open = new();
    private readonly Task _accepting;
    private long _next;
    private volatile bool _cut;

    /// <summary>Starts relaying 127.0.0.1:<see cref="Port"/> to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public TcpRelay(int targetPort)
    {
        _target = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The port to connect to.</summary>
    public int Port { get; }

    /// <summary>Whether the relay is cut.</summary>
    public bool IsCut => _cut;

    /// <summary>Connections refused (reset) while cut.</summary>
    public int Refused => (int)Interlocked.Read(ref _refused);

    private long _refused;

    /// <summary>Partition: resets every open connection; new ones are reset as soon as they are accepted.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (var key in _open.Keys)
        {
            if (_open.TryRemove(key, out var pair))
            {
                Reset(pair.Client);
                Reset(pair.Upstream);
            }
        }
    }

    /// <summary>Heals the partition: new connections are relayed again.</summary>
    public void Restore() => _cut = false;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        if (_cut)
        {
            Interlocked.Increment(ref _refused);
            Reset(client);
            return;
        }
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            Reset(client);
            upstream.Dispose();
            return;
        }
        var id = Interlocked.Increment(ref _next);
        _open[id] = (client, upstream);
        if (_cut)
        {
            // Cut while connecting: do not let this one through.
            Cut();
            return;
        }
        await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
        if (_open.TryRemove(id, out _))
        {
            client.Dispose();
            upstream.Dispose();
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Reset(from);
            Reset(to);
        }
    }

    private static void Reset(Socket s)
    {
        try
        {
            // Linger 0: close sends RST, as a dropped route or a firewall reject would look to the peer.
            s.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        s.Dispose();
    }

    /// <summary>Stops listening and resets everything still open.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting;
        _stop.Dispose();
    }
}
