using System.Buffers;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Polly.Timeout;

namespace Infrastructure.Proxy.Forwarding;

/// <summary>
/// Forwards one request to one destination and copies the answer back, and nothing else (YARP's <c>HttpForwarder</c>):
/// no routes, no load balancing, no retries. Headers are copied minus hop-by-hop ones, bodies are streamed both ways,
/// the front end's <see cref="HttpTransformer"/> shapes both directions.
/// </summary>
/// <remarks>
/// <see cref="SendAsync"/> runs every step and answers a <see cref="ForwarderResult"/>. A front end that puts retries or
/// circuit breakers between the response headers and the body (the Gateway) calls the two halves itself:
/// <see cref="SendRequestAsync"/> (steps 1–2, throws) and <see cref="CopyResponseAsync"/> (steps 3–7, throws).
/// </remarks>
internal sealed class HttpForwarder
{
    // Stream.CopyToAsync's default buffer size.
    private const int BodyBufferSize = 81920;
    private static readonly UriCreationOptions NoCanonicalization = new() { DangerousDisablePathAndQueryCanonicalization = true };

    /// <summary>
    /// Sends <paramref name="exchange"/>'s request to <paramref name="destinationPrefix"/> (scheme and authority, e.g.
    /// <c>http://10.0.0.5:8080</c>) and copies the response to the client. Failures are answered, not thrown; when the
    /// result is not <see cref="ForwarderError.None"/> and the response has not started, the front end writes its error.
    /// </summary>
    public async ValueTask<ForwarderResult> SendAsync(
        ProxyExchange exchange, string destinationPrefix, HttpMessageInvoker invoker, ForwarderRequestConfig config,
        HttpTransformer transformer, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await SendRequestAsync(exchange, destinationPrefix, invoker, config, transformer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or TimeoutRejectedException or ClientRequestBodyException)
        {
            return new ForwarderResult(ForwarderResult.Classify(ex, cancellationToken), ex);
        }
        using (response)
        {
            try
            {
                await CopyResponseAsync(exchange, response, config, transformer, cancellationToken).ConfigureAwait(false);
                return ForwarderResult.Success;
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
            {
                return new ForwarderResult(ForwarderResult.Classify(ex, cancellationToken), ex);
            }
        }
    }

    /// <summary>
    /// Steps 1–2: builds the outgoing request and sends it; returns once the response headers arrived. A response
    /// timeout passing throws <see cref="TimeoutRejectedException"/>; the client's body failing throws
    /// <see cref="ClientRequestBodyException"/>; the destination failing throws the client's <see cref="HttpRequestException"/>.
    /// </summary>
    public Task<HttpResponseMessage> SendRequestAsync(
        ProxyExchange exchange, string destinationPrefix, HttpMessageInvoker invoker, ForwarderRequestConfig config,
        HttpTransformer transformer, CancellationToken cancellationToken)
    {
        // 1. The outgoing request: target, version, body, headers, then the front end's transforms.
        var request = CreateRequest(exchange, destinationPrefix, config, transformer);
        // 2. Send. Without a response timeout hand back the client's task instead of wrapping it in another state machine.
        return config.ResponseTimeout is { } timeout
            ? SendWithTimeoutAsync(invoker, request, timeout, cancellationToken)
            : invoker.SendAsync(request, cancellationToken);
    }

    /// <summary>
    /// Steps 3–7: status and headers (minus hop-by-hop), the front end's response transform, then the upgraded tunnel
    /// or the body, streamed, then trailers when the client can take them. The upstream breaking off or stalling
    /// mid-body throws <see cref="UpstreamResponseBodyException"/>; the client going away throws what its stream threw.
    /// </summary>
    public async Task CopyResponseAsync(
        ProxyExchange exchange, HttpResponseMessage upstream, ForwarderRequestConfig config, HttpTransformer transformer,
        CancellationToken cancellationToken)
    {
        // 3. Status and headers.
        var response = exchange.Context.Response;
        response.StatusCode = (int)upstream.StatusCode;
        var headers = response.Headers;
        var connection = upstream.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var c) ? c.ToString() : null;
        foreach (var header in upstream.Headers.NonValidated)
        {
            CopyHeader(headers, header.Key, header.Value, connection);
        }
        foreach (var header in upstream.Content.Headers.NonValidated)
        {
            CopyHeader(headers, header.Key, header.Value, connection);
        }
        // 4. The front end's response transform (the Gateway's response filters).
        transformer.TransformResponse(exchange, response, upstream);
        // 5. An accepted upgrade (WebSocket) becomes a tunnel; a body-less answer ends here.
        if (upstream.StatusCode == HttpStatusCode.SwitchingProtocols)
        {
            await TunnelAsync(exchange.Context, upstream, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (HttpMethods.IsHead(exchange.Context.Request.Method) || response.StatusCode is 204 or 304)
        {
            return;
        }
        // 6. The body, each read bounded by the response timeout.
        var body = await upstream.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            await CopyBodyAsync(body, response.Body, config.ResponseTimeout, cancellationToken).ConfigureAwait(false);
        }
        // 7. Trailers.
        if (upstream.TrailingHeaders.NonValidated.Count > 0 && response.SupportsTrailers())
        {
            foreach (var trailer in upstream.TrailingHeaders.NonValidated)
            {
                response.AppendTrailer(trailer.Key, trailer.Value.ToString());
            }
        }
    }

    private static HttpRequestMessage CreateRequest(ProxyExchange exchange, string destinationPrefix, ForwarderRequestConfig config, HttpTransformer transformer)
    {
        var context = exchange.Context;
        var incoming = context.Request;
        // 1a. Target. The path is held decoded; re-encode it (a decoded '?' or '#' must stay in the path) and keep the Uri
        // from canonicalizing it: it would turn '\' into '/' and collapse dot segments after the front end matched it.
        var target = new Uri(string.Concat(destinationPrefix, new PathString(exchange.Path).ToUriComponent(), exchange.Query), in NoCanonicalization);
        var message = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), target)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (config.ConnectTimeout is { } connectTimeout)
        {
            message.Options.Set(ForwarderHttpClientFactory.ConnectTimeoutKey, connectTimeout);
        }
        // 1b. Body, streamed as it arrives.
        var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? incoming.ContentLength > 0;
        if (hasBody)
        {
            message.Content = new StreamingRequestContent(exchange);
        }
        // 1c. End-to-end headers, those the front end keeps.
        var connection = incoming.Headers.Connection;
        foreach (var header in incoming.Headers)
        {
            var name = header.Key;
            if (HopByHopHeaders.Contains(name) || string.Equals(name, HeaderNames.Host, StringComparison.OrdinalIgnoreCase)
                || (connection.Count > 0 && HopByHopHeaders.IsNamedIn(connection, name))
                || !transformer.ShouldCopyRequestHeader(exchange, name))
            {
                continue;
            }
            var value = header.Value;
            if (ContentHeaders.Contains(name))
            {
                if (message.Content is not null && !string.Equals(name, HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
                {
                    message.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value);
                }
                continue;
            }
            if (value.Count == 1)
            {
                message.Headers.TryAddWithoutValidation(name, value.ToString());
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value);
            }
        }
        if (IsUpgrade(context))
        {
            // Connection/Upgrade are hop-by-hop, but an upgrade (WebSocket) must be asked for again on the upstream hop.
            message.Headers.TryAddWithoutValidation(HeaderNames.Connection, "Upgrade");
            message.Headers.TryAddWithoutValidation(HeaderNames.Upgrade, (IEnumerable<string?>)incoming.Headers.Upgrade);
        }
        // 1d. The front end's request transforms.
        transformer.TransformRequest(exchange, message);
        return message;
    }

    /// <summary>
    /// One attempt bounded by the response timeout, counted from the moment the request is sent, body included (Ribbon's
    /// read timeout), so a slow upload is not cut short; past it the attempt fails with a <see cref="TimeoutRejectedException"/>.
    /// </summary>
    private static async Task<HttpResponseMessage> SendWithTimeoutAsync(HttpMessageInvoker invoker, HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (request.Content is StreamingRequestContent body)
        {
            body.StartWhenSent(timer, timeout);
        }
        else
        {
            timer.CancelAfter(timeout);
        }
        try
        {
            // Disposing the timer after the headers (not cancelling it) leaves the response body stream alone.
            return await invoker.SendAsync(request, timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutRejectedException(
                string.Create(CultureInfo.InvariantCulture, $"upstream did not answer within {timeout.TotalMilliseconds} ms"), timeout, ex);
        }
    }

    /// <summary>
    /// Streams the upstream body to the client, telling the two sides' failures apart: the upstream breaking off
    /// (reset or closed mid-body) or going silent for longer than the response timeout between two reads is the
    /// destination's failure and becomes an <see cref="UpstreamResponseBodyException"/>; the client going away is not.
    /// </summary>
    /// <remarks>
    /// The response timeout bounds each read, as Reactor Netty's <c>responseTimeout</c> (Spring's
    /// <c>httpclient.response-timeout</c>) and Ribbon's <c>ReadTimeout</c> (a socket read timeout) do: an instance that
    /// sent its headers and then froze would otherwise hold the request for as long as the client waits.
    /// </remarks>
    private static async Task CopyBodyAsync(Stream upstream, Stream client, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BodyBufferSize);
        var idle = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    if (idle is null)
                    {
                        read = await upstream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        idle.CancelAfter(timeout!.Value);
                        read = await upstream.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                        if (!idle.TryReset())
                        {
                            // The timer fired just as the read completed: the read won; the next one needs a fresh token.
                            idle.Dispose();
                            idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        }
                    }
                }
                catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new UpstreamResponseBodyException(ex);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new UpstreamResponseBodyException(new IOException(string.Create(CultureInfo.InvariantCulture,
                        $"no body bytes within {timeout!.Value.TotalMilliseconds} ms")), timedOut: true);
                }
                if (read == 0)
                {
                    return;
                }
                await client.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            idle?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>After a 101 from upstream: switch the client connection too and pump bytes both ways until either side closes.</summary>
    private static async Task TunnelAsync(HttpContext context, HttpResponseMessage upstream, CancellationToken cancellationToken)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }
        if (upstream.Headers.NonValidated.TryGetValues(HeaderNames.Upgrade, out var protocol))
        {
            context.Response.Headers.Upgrade = protocol.ToString();
        }
        var upstreamStream = await upstream.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (upstreamStream.ConfigureAwait(false))
        {
            var clientStream = await upgrade.UpgradeAsync().ConfigureAwait(false);
            await using (clientStream.ConfigureAwait(false))
            {
                using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var toUpstream = PumpAsync(clientStream, upstreamStream, done.Token);
                var toClient = PumpAsync(upstreamStream, clientStream, done.Token);
                await Task.WhenAny(toUpstream, toClient).ConfigureAwait(false);
                await done.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(toUpstream, toClient).ConfigureAwait(false);
            }
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken).ConfigureAwait(false);
            await to.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // One side closed or the other pump finished: the tunnel is over either way.
        }
    }

    private static bool IsUpgrade(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } && context.Request.Headers.Upgrade.Count > 0;

    private static void CopyHeader(IHeaderDictionary headers, string name, System.Net.Http.Headers.HeaderStringValues values, string? connection)
    {
        if (HopByHopHeaders.Contains(name) || (connection is not null && HopByHopHeaders.IsNamedIn(connection, name)))
        {
            return;
        }
        if (values.Count == 1)
        {
            // Headers the front end set before forwarding (the Gateway's X-RateLimit-*) stay; the upstream's value wins for the same name.
            headers[name] = values.ToString();
        }
        else
        {
            headers[name] = values.ToArray();
        }
    }
}
