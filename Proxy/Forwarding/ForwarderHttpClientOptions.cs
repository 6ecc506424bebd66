namespace Infrastructure.Proxy.Forwarding;

/// <summary>Settings of the forwarder's one outgoing client (<see cref="ForwarderHttpClientFactory"/>).</summary>
internal sealed class ForwarderHttpClientOptions
{
    /// <summary>Bounds opening a connection when the request names no connect timeout of its own; default: none (<see cref="Timeout.InfiniteTimeSpan"/>).</summary>
    public TimeSpan ConnectTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Connections per destination; default: unlimited (<see cref="int.MaxValue"/>).</summary>
    public int MaxConnectionsPerServer { get; init; } = int.MaxValue;

    /// <summary>How long an idle pooled connection is kept; default 1 minute (SocketsHttpHandler's).</summary>
    public TimeSpan PooledConnectionIdleTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether OpenTelemetry's HttpClient instrumentation injects the trace headers (then the runtime's own W3C
    /// injection is switched off, not to write traceparent twice); default false: no client span, the caller's trace
    /// headers pass through untouched.
    /// </summary>
    public bool TracingEnabled { get; init; }

    /// <summary>How long a pooled connection lives before it is replaced; default: forever (<see cref="Timeout.InfiniteTimeSpan"/>).</summary>
    public TimeSpan PooledConnectionLifetime { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// TLS towards the destination (client certificate selection, server validation) when its prefix is https; default:
    /// none (the platform's defaults).
    /// </summary>
    public System.Net.Security.SslClientAuthenticationOptions? Ssl { get; init; }
}
