using Infrastructure.Proxy.Forwarding;
using Infrastructure.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Infrastructure.Gateway.Forwarding;

/// <summary>The one outgoing client of the gateway, shared by all routes: the proxy's client with <c>Gateway:HttpClient</c>'s settings.</summary>
internal sealed class ProxyHttpClient : IDisposable
{
    public ProxyHttpClient(IOptions<GatewayOptions> options, IConfiguration configuration)
    {
        var o = options.Value.HttpClient;
        Invoker = ForwarderHttpClientFactory.Create(new ForwarderHttpClientOptions
        {
            // 0 is Netty's "no connect timeout", which Spring hands it.
            ConnectTimeout = o.ConnectTimeout > 0 ? TimeSpan.FromMilliseconds(o.ConnectTimeout) : Timeout.InfiniteTimeSpan,
            MaxConnectionsPerServer = o.MaxConnectionsPerServer,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(o.PooledConnectionIdleTimeoutSeconds),
            TracingEnabled = TelemetryExtensions.IsTracingEnabled(configuration),
        });
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}
