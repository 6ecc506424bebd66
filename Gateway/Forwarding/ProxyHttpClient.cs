using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Infrastructure.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Infrastructure.Gateway.Forwarding;

/// <summary>The one outgoing client of the gateway: a <see cref="HttpMessageInvoker"/> over a tuned <see cref="SocketsHttpHandler"/>, shared by all routes.</summary>
internal sealed class ProxyHttpClient : IDisposable
{
    /// <summary>A route's connect timeout, read by the connect callback when a new connection is opened for the request.</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeoutKey = new("gateway.connect-timeout");

    public ProxyHttpClient(IOptions<GatewayOptions> options, IConfiguration configuration)
    {
        var o = options.Value.HttpClient;
        // 0 is Netty's "no connect timeout", which Spring hands it.
        var defaultConnectTimeout = o.ConnectTimeout > 0 ? TimeSpan.FromMilliseconds(o.ConnectTimeout) : Timeout.InfiniteTimeSpan;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            MaxConnectionsPerServer = o.MaxConnectionsPerServer,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(o.PooledConnectionIdleTimeoutSeconds),
            // A propagator must be set for the handler to start its client span at all. With tracing on, OpenTelemetry's
            // HttpClient instrumentation injects ServiceDefaults' composite propagator (traceparent, X-B3-*, b3) into
            // every call, so the runtime's own W3C injection would only write traceparent a second time on the hot path.
            // With tracing off there is no span and no handler: the caller's trace headers pass through untouched.
            ActivityHeadersPropagator = TelemetryExtensions.IsTracingEnabled(configuration)
                ? DistributedContextPropagator.CreateNoOutputPropagator()
                : null,
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
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}
