using System.Buffers;
using System.Net;
namespace Infrastructure.Proxy.Forwarding;

/// <summary>Streams the client's request body upstream as it arrives, and notes when reading began (after that a retry cannot replay it).</summary>
internal sealed class StreamingRequestContent(ProxyExchange exchange) : HttpContent
{
    private const int BufferSize = 64 * 1024;
    private CancellationTokenSource? _timer;
    private TimeSpan _timeout;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        exchange.RequestBodyStarted = true;
        var source = exchange.Context.Request.Body;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await ReadClientAsync(source, buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                // The handler keeps small writes in its buffer until it fills; a client streaming a few bytes at a time
                // (events, a slow upload) would have them parked there, so each piece goes on as it came in.
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            StartResponseTimer();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The client's fault (too slow, malformed chunks, reset), not the upstream's: a distinct exception that the breakers,
    // retries and the 502 mapping do not take for an upstream failure (they match HttpRequestException).
    private static async ValueTask<int> ReadClientAsync(Stream source, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new ClientRequestBodyException(ex);
        }
    }

    /// <summary>Arms <paramref name="timer"/> to fire <paramref name="timeout"/> after the last byte of the body went upstream.</summary>
    public void StartWhenSent(CancellationTokenSource timer, TimeSpan timeout)
    {
        _timer = timer;
        _timeout = timeout;
    }

    private void StartResponseTimer()
    {
        try
        {
            _timer?.CancelAfter(_timeout);
        }
        catch (ObjectDisposedException)
        {
            // The upstream answered before the body was all sent: the attempt is over and needs no timer.
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        var known = exchange.Context.Request.ContentLength;
        length = known ?? -1;
        return known is not null;
    }
}
