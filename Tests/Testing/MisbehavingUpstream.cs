using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Infrastructure.Testing;

/// <summary>
/// A loopback HTTP/1.1 upstream on raw sockets that breaks the protocol in one chosen way after reading each request's
/// head: resets the connection before answering, answers bytes that are not HTTP, or sends a response head and part of
/// its body and holds the connection until the test resets it (<see cref="ResetHeld"/>). For faults Kestrel cannot play.
/// </summary>
public sealed class MisbehavingUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<MisbehavingUpstream, Socket, Task> _behaviour;
    private readonly ConcurrentDictionary<Socket, TaskCompletionSource> _held = new();
    private readonly Task _accepting;
    private int _requests;

    private MisbehavingUpstream(Func<MisbehavingUpstream, Socket, Task> behaviour)
    {
        _behaviour = behaviour;
        _listener.Start(128);
        _accepting = AcceptLoopAsync();
    }

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:50123</c>.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>The listening port.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Request heads read so far (each one then met the fault).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Connections holding a partial response, waiting for <see cref="ResetHeld"/>.</summary>
    public int Held => _held.Count;

    /// <summary>Reads the request head, then resets the connection (RST) without a response byte.</summary>
    public static MisbehavingUpstream ResetBeforeResponse() => new(static (_, socket) =>
    {
        Reset(socket);
        return Task.CompletedTask;
    });

    /// <summary>Reads the request head, writes <paramref name="raw"/> (Latin-1) as the whole answer, then closes the connection.</summary>
    public static MisbehavingUpstream Answer(string raw) => new(async (self, socket) =>
    {
        await socket.SendAsync(Encoding.Latin1.GetBytes(raw), SocketFlags.None, self._stop.Token);
        socket.Shutdown(SocketShutdown.Both);
        socket.Dispose();
    });

    /// <summary>
    /// Reads the request head, writes <paramref name="headAndPartialBody"/> (a response head promising more body than
    /// follows it), then holds the connection until <see cref="ResetHeld"/> resets it.
    /// </summary>
    public static MisbehavingUpstream ResetMidBody(string headAndPartialBody) => new(async (self, socket) =>
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        self._held[socket] = release;
        await socket.SendAsync(Encoding.Latin1.GetBytes(headAndPartialBody), SocketFlags.None, self._stop.Token);
        await release.Task.WaitAsync(self._stop.Token);
        self._held.TryRemove(socket, out _);
        Reset(socket);
    });

    /// <summary>A chunked 200 whose first chunk (<c>partial-</c>) arrives and whose last chunk never does.</summary>
    public const string ChunkedHeadAndPartialBody =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n8\r\npartial-\r\n";

    /// <summary>A 200 announcing 1,000 bytes of which 8 (<c>partial-</c>) arrive.</summary>
    public const string ContentLengthHeadAndPartialBody =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\npartial-";

    /// <summary>Resets every connection that is holding a partial response.</summary>
    public void ResetHeld()
    {
        foreach (var release in _held.Values)
        {
            release.TrySetResult();
        }
    }

    /// <summary>Closes <paramref name="socket"/> with a TCP RST rather than a FIN (linger on, timeout 0).</summary>
    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone: nothing left to reset.
        }
        socket.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            if (await ReadHeadAsync(socket))
            {
                Interlocked.Increment(ref _requests);
                await _behaviour(this, socket);
            }
            else
            {
                socket.Dispose();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // The test is over, or the other side went away first.
            socket.Dispose();
        }
    }

    // Up to the blank line; a request body, if any, is left unread (the fault comes before it matters).
    private async Task<bool> ReadHeadAsync(Socket socket)
    {
        var head = new StringBuilder();
        var buffer = new byte[4096];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                return false;
            }
            head.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }
        return true;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        foreach (var socket in _held.Keys)
        {
            socket.Dispose();
        }
        _stop.Dispose();
    }
}
