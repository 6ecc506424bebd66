using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Authentication;
using Infrastructure.Proxy.Forwarding;
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

    public HttpMessageInvoker Plain { get; } = ForwarderHttpClientFactory.Create(Options(int.MaxValue, TimeSpan.FromSeconds(10), ssl: null));

    public HttpMessageInvoker For(string service, bool mtls, int maxConnections, TimeSpan connectTimeout) =>
        _pools.GetOrAdd((service, mtls, maxConnections, connectTimeout), key =>
        {
            SslClientAuthenticationOptions? ssl = null;
            if (key.Mtls)
            {
                var expected = SidecarOptions.SpiffeId(key.Service);
                ssl = new SslClientAuthenticationOptions
                {
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    LocalCertificateSelectionCallback = (_, _, _, _, _) =>
                        certificates.Current?.Leaf ?? throw new InvalidOperationException("no workload certificate yet"),
                    // Only the mesh root is trusted, and the server must be the destination service's workload.
                    RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                        string.Equals(certificates.Verify(certificate, chain), expected, StringComparison.OrdinalIgnoreCase),
                };
            }
            return ForwarderHttpClientFactory.Create(Options(key.MaxConnections, key.ConnectTimeout, ssl));
        });

    // Proxy's one handler factory; TracingEnabled: the forwarder writes the trace headers of the sidecar's own span, so
    // the runtime's W3C injection stays off.
    private static ForwarderHttpClientOptions Options(int maxConnections, TimeSpan connectTimeout, SslClientAuthenticationOptions? ssl) => new()
    {
        ConnectTimeout = connectTimeout,
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        TracingEnabled = true,
        Ssl = ssl,
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
