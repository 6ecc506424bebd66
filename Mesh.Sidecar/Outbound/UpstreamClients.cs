using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Authentication;
using Infrastructure.Mesh.Sidecar.Certificates;
using Infrastructure.Mesh.Sidecar.Hosting;

namespace Infrastructure.Mesh.Sidecar.Outbound;

/// <summary>
/// The connection pools: one per destination service and TLS mode (the SPIFFE id the server must present is the
/// service's), one to the local app, one for passthrough. Client certificates are chosen per handshake, so a renewed
/// certificate is used by new connections without dropping open ones.
/// </summary>
internal sealed class UpstreamClients(WorkloadCertificates certificates) : IDisposable
{
    private readonly ConcurrentDictionary<(string Service, bool Mtls, int MaxConnections, TimeSpan ConnectTimeout), HttpMessageInvoker> _pools = new();

    public HttpMessageInvoker Plain { get; } = new(NewHandler(int.MaxValue, TimeSpan.FromSeconds(10)));

    public HttpMessageInvoker For(string service, bool mtls, int maxConnections, TimeSpan connectTimeout) =>
        _pools.GetOrAdd((service, mtls, maxConnections, connectTimeout), key =>
        {
            var handler = NewHandler(key.MaxConnections, key.ConnectTimeout);
            if (key.Mtls)
            {
                var expected = SidecarOptions.SpiffeId(key.Service);
                handler.SslOptions.EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) =>
                    certificates.Current?.Leaf ?? throw new InvalidOperationException("no workload certificate yet");
                // Only the mesh root is trusted, and the server must be the destination service's workload.
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                    string.Equals(certificates.Verify(certificate, chain), expected, StringComparison.OrdinalIgnoreCase);
            }
            return new HttpMessageInvoker(handler);
        });

    private static SocketsHttpHandler NewHandler(int maxConnections, TimeSpan connectTimeout) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = connectTimeout,
        MaxConnectionsPerServer = maxConnections,
        EnableMultipleHttp2Connections = true,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        // The forwarder writes the trace headers of the sidecar's own span.
        ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
    };

    public void Dispose()
    {
        Plain.Dispose();
        foreach (var pool in _pools.Values)
        {
            pool.Dispose();
        }
    }
}
