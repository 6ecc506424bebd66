using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Infrastructure.Gateway.Tests.Support;

/// <summary>
/// HTTP/1.1 over a bare socket, for bytes HttpClient would refuse or normalise (duplicate framing headers, bare CR/LF,
/// NUL, trickled input): what is sent is exactly what the server parses.
/// </summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> (Latin-1) and reads until the server closes the connection or <paramref name="deadline"/> passes.</summary>
    public static async Task<RawExchange> SendAsync(int port, string request, TimeSpan? deadline = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        }
        catch (IOException)
        {
            // The server may refuse and reset while a large request is still being written; what it answered is still readable.
        }
        return await ReadToCloseAsync(tcp, deadline ?? TimeSpan.FromSeconds(30));
    }

    /// <summary>Reads everything the server sends until it closes (or resets) the connection, or the deadline passes.</summary>
    public static async Task<RawExchange> ReadToCloseAsync(TcpClient tcp, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        var closed = false;
        try
        {
            while (true)
            {
                var read = await tcp.GetStream().ReadAsync(buffer, cts.Token);
                if (read == 0)
                {
                    closed = true;
                    break;
                }
                received.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException)
        {
            // Deadline: the connection is still open.
        }
        catch (IOException)
        {
            // A reset is a close too.
            closed = true;
        }
        return new RawExchange(Encoding.Latin1.GetString(received.ToArray()), closed);
    }
}

/// <summary>What came back on one connection: the raw response bytes and whether the server closed it.</summary>
internal sealed record RawExchange(string Text, bool Closed)
{
    /// <summary>Status codes of every response on the connection, in order (pipelined requests answer one after another).</summary>
    public IReadOnlyList<int> Statuses
    {
        get
        {
            var statuses = new List<int>();
            var at = 0;
            while ((at = Text.IndexOf("HTTP/1.1 ", at, StringComparison.Ordinal)) >= 0)
            {
                // Only status lines: at the very start or right after a previous message.
                if (at == 0 || Text.AsSpan(0, at).EndsWith("\n", StringComparison.Ordinal))
                {
                    statuses.Add(int.Parse(Text.AsSpan(at + 9, 3), CultureInfo.InvariantCulture));
                }
                at += 9;
            }
            return statuses;
        }
    }

    public override string ToString() => (Closed ? "[closed] " : "[open] ") + Text;
}
