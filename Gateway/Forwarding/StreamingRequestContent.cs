using System.Net;
using Infrastructure.Gateway.Filters;

namespace Infrastructure.Gateway.Forwarding;

/// <summary>Streams the client's request body upstream as it arrives, and notes when reading began (after that a retry cannot replay it).</summary>
internal sealed class StreamingRequestContent(GatewayExchange exchange) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        exchange.RequestBodyStarted = true;
        await exchange.Context.Request.Body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        var known = exchange.Context.Request.ContentLength;
        length = known ?? -1;
        return known is not null;
    }
}
