using System.Net.Security;
using Infrastructure.Mesh.Sidecar.Certificates;
using Infrastructure.Mesh.Sidecar.Hosting;
using Infrastructure.Mesh.Sidecar.Xds;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Mode = Infrastructure.Mesh.Api.PeerAuthentication.Types.MutualTLS.Types.Mode;

namespace Infrastructure.Mesh.Sidecar.Inbound;

/// <summary>
/// The inbound port's connection pipeline: the first byte says TLS (0x16, a handshake record) or plaintext; PERMISSIVE
/// takes both on the same port, STRICT closes plaintext connections, DISABLE closes TLS ones. TLS connections go through
/// Kestrel's TLS with the workload certificate of the moment and a client certificate required (chained to the mesh
/// root); plaintext ones skip it, straight into the HTTP pipeline captured behind it.
/// </summary>
internal static class InboundListener
{
    /// <summary>Connection item: whether the connection came in over mTLS.</summary>
    public const string MutualTlsItem = "mesh.mtls";

    public static void Configure(ListenOptions listen, IServiceProvider services)
    {
        var certificates = services.GetRequiredService<WorkloadCertificates>();
        var config = services.GetRequiredService<ConfigStore>();
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SidecarOptions>>().Value;
        var labels = options.Labels();
        var inner = new InnerPipeline();
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.Use(next => connection => SniffAsync(connection, next, inner, () => PeerAuthenticationMode.For(config.Current, labels, options.AppPort)));
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = _ =>
            {
                // Looked up per handshake: a renewed certificate serves the next connection, open ones go on.
                var current = certificates.Current ?? throw new InvalidOperationException("no workload certificate yet");
                return ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = current.Context,
                    ClientCertificateRequired = true,
                    RemoteCertificateValidationCallback = (_, certificate, chain, _) => certificates.Verify(certificate, chain) is not null,
                    ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                });
            },
        });
        listen.Use(next =>
        {
            inner.Next = next;
            return next;
        });
    }

    private static async Task SniffAsync(ConnectionContext connection, ConnectionDelegate tls, InnerPipeline plaintext, Func<Mode> mode)
    {
        var input = connection.Transport.Input;
        var read = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
        if (read.Buffer.IsEmpty)
        {
            input.AdvanceTo(read.Buffer.Start);
            return;
        }
        var isTls = read.Buffer.FirstSpan[0] == 0x16;
        // Nothing consumed: whoever comes next reads the same bytes.
        input.AdvanceTo(read.Buffer.Start);
        var current = mode();
        if ((isTls && current == Mode.Disable) || (!isTls && current == Mode.Strict))
        {
            connection.Abort(new ConnectionAbortedException(isTls ? "mTLS is disabled on this workload" : "plaintext refused: mTLS is STRICT"));
            return;
        }
        connection.Items[MutualTlsItem] = isTls;
        await (isTls ? tls : plaintext.Next!)(connection).ConfigureAwait(false);
    }

    private sealed class InnerPipeline
    {
        public ConnectionDelegate? Next { get; set; }
    }
}
