using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Infrastructure.Proxy.Forwarding;

/// <summary>Creates the proxy's outgoing client: a <see cref="HttpMessageInvoker"/> over a <see cref="SocketsHttpHandler"/> tuned for forwarding (no proxy, redirects, cookies or decompression; a connect timeout per request).</summary>
internal static class ForwarderHttpClientFactory
{
    /// <summary>A request's connect timeout (<see cref="ForwarderRequestConfig.ConnectTimeout"/>), read by the connect callback when a new connection is opened for it.</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeoutKey = new("gateway.connect-timeout");

    public static HttpMessageInvoker Create(ForwarderHttpClientOptions options)
    {
        var defaultConnectTimeout = options.ConnectTimeout;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            MaxConnectionsPerServer = options.MaxConnectionsPerServer,
            PooledConnectionIdleTimeout = options.PooledConnectionIdleTimeout,
            PooledConnectionLifetime = options.PooledConnectionLifetime,
            // A propagator must be set for the handler to start its client span at all. With tracing on, OpenTelemetry's
            // HttpClient instrumentation injects ServiceDefaults' composite propagator (traceparent, X-B3-*, b3) into
            // every call, so the runtime's own W3C injection would only write traceparent a second time on the hot path.
            // With tracing off there is no span and no handler: the caller's trace headers pass through untouched.
            ActivityHeadersPropagator = options.TracingEnabled ? DistributedContextPropagator.CreateNoOutputPropagator() : null,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var timeout = context.InitialRequestMessage.Options.TryGetValue(ConnectTimeoutKey, out var t) ? t : defaultConnectTimeout;
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(timeout);
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cts.Token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    socket.Dispose();
                    throw new TimeoutException($"connect to {context.DnsEndPoint.Host}:{context.DnsEndPoint.Port} timed out after {timeout.TotalMilliseconds} ms");
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        if (options.Ssl is not null)
        {
            handler.SslOptions = options.Ssl;
        }
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }
}
