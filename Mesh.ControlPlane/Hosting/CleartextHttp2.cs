using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Infrastructure.Mesh.ControlPlane.Hosting;

/// <summary>
/// gRPC (HTTP/2 with prior knowledge) and the HTTP/1.1 debug pages on one plaintext port, as istiod's 15010.
/// Kestrel's <see cref="HttpProtocols.Http1AndHttp2"/> without TLS speaks HTTP/1.1 only (there is no ALPN to choose
/// by; checked: <c>curl --http2-prior-knowledge</c> gets an empty reply). This connection middleware reads the first
/// bytes: a connection that starts with the HTTP/2 preface is marked as if ALPN had chosen "h2", and Kestrel runs it
/// as HTTP/2; anything else goes on as HTTP/1.1. Nothing is consumed.
/// </summary>
internal static class CleartextHttp2
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    /// <summary>How long a new connection may take to send its first bytes.</summary>
    private static readonly TimeSpan FirstBytesTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Makes every endpoint Http1AndHttp2 with the preface sniffer in front.</summary>
    public static WebApplicationBuilder UseCleartextHttp2(this WebApplicationBuilder builder)
    {
        // Kestrel warns at start that HTTP/2 is off on this endpoint, which the sniffer makes untrue. A default at the
        // lowest precedence (wherever the content root is), so that an operator's own Serilog overrides still win.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = [KeyValuePair.Create("Serilog:MinimumLevel:Override:Microsoft.AspNetCore.Server.Kestrel", (string?)"Error")],
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The :scheme of a sniffed HTTP/2 request is "http" while Kestrel believes the connection is TLS.
            kestrel.AllowAlternateSchemes = true;
            kestrel.ConfigureEndpointDefaults(listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(next => context => SniffAsync(context, next));
            });
        });
        return builder;
    }

    private static async Task SniffAsync(ConnectionContext context, ConnectionDelegate next)
    {
        if (context.Features.Get<ITlsConnectionFeature>() is null && await StartsWithPrefaceAsync(context).ConfigureAwait(false))
        {
            var alpn = new PriorKnowledge();
            context.Features.Set<ITlsConnectionFeature>(alpn);
            context.Features.Set<ITlsApplicationProtocolFeature>(alpn);
        }
        await next(context).ConfigureAwait(false);
    }

    private static async Task<bool> StartsWithPrefaceAsync(ConnectionContext context)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.ConnectionClosed);
        timeout.CancelAfter(FirstBytesTimeout);
        var input = context.Transport.Input;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            var buffer = result.Buffer;
            var length = (int)Math.Min(buffer.Length, Preface.Length);
            var head = buffer.Slice(0, length).ToArray();
            var matches = head.AsSpan().SequenceEqual(Preface.AsSpan(0, length));
            if (!matches || length == Preface.Length || result.IsCompleted || result.IsCanceled)
            {
                // Give every byte back: Kestrel's own parser reads from the start.
                input.AdvanceTo(buffer.Start);
                return matches && length == Preface.Length;
            }
            // A prefix of the preface so far: wait for more.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private sealed class PriorKnowledge : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public ReadOnlyMemory<byte> ApplicationProtocol => "h2"u8.ToArray();

        public X509Certificate2? ClientCertificate { get; set; }

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }
}
