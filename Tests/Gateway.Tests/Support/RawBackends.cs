using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Infrastructure.Gateway.Tests.Support;

/// <summary>
/// A loopback HTTP/1.1 server written on raw sockets that answers every request with a chunked body followed by
/// trailer fields (Kestrel cannot send trailers over HTTP/1.1, so it cannot play this backend).
/// </summary>
internal sealed class ChunkedTrailerBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ChunkedTrailerBackend()
    {
        _listener.Start();
        _loop = AcceptLoopAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }
                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
                const string response =
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum, X-Row-Count\r\nConnection: close\r\n\r\n"
                    + "6\r\nhello \r\n5\r\nworld\r\n0\r\nX-Checksum: sha256=abc123\r\nX-Row-Count: 2\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
                await stream.FlushAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
            {
                // The test is over or the gateway went away.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>
/// A loopback port where TCP connects hang: a listener with a backlog of one that never accepts, its queue filled by
/// connections of our own, so the kernel drops further SYNs (a stand-in for a blackholed host, without leaving loopback).
/// </summary>
internal sealed class BlackholeListener : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _fillers = [];

    private BlackholeListener()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Connects until a connect no longer completes within a second: from then on, connects to <see cref="Port"/> hang.</summary>
    public static async Task<BlackholeListener> StartAsync()
    {
        var hole = new BlackholeListener();
        for (var i = 0; i < 64; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, hole.Port), cts.Token);
                hole._fillers.Add(socket);
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                return hole;
            }
        }
        hole.Dispose();
        throw new InvalidOperationException("the accept queue never filled up: connects to a non-accepting listener keep succeeding");
    }

    public void Dispose()
    {
        foreach (var s in _fillers)
        {
            s.Dispose();
        }
        _listener.Dispose();
    }
}
