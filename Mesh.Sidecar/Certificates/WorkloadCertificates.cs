using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Sidecar.Hosting;
using Infrastructure.Mesh.Sidecar.Xds;
using Microsoft.Extensions.Options;

namespace Infrastructure.Mesh.Sidecar.Certificates;

/// <summary>A certificate in force: the leaf with its key, the chain context Kestrel and SslStream send, the mesh root.</summary>
internal sealed record IssuedCertificate(X509Certificate2 Leaf, SslStreamCertificateContext Context, X509Certificate2 Root, X509Certificate2Collection Intermediates)
{
    public string Serial => Leaf.SerialNumber;

    public DateTimeOffset NotBefore => new(Leaf.NotBefore.ToUniversalTime());

    public DateTimeOffset NotAfter => new(Leaf.NotAfter.ToUniversalTime());
}

/// <summary>
/// The workload's identity: an ECDSA key and a CSR with the SPIFFE URI SAN sent to the mesh CA, renewed at half its
/// life (±1 % jitter) and swapped in place, so new handshakes take the new one and open connections go on.
/// </summary>
internal sealed partial class WorkloadCertificates(
    ControlPlaneChannel channel,
    WorkloadIdentity identity,
    IOptions<SidecarOptions> options,
    TimeProvider time,
    ILogger<WorkloadCertificates> logger) : BackgroundService
{
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IssuedCertificate? _current;

    /// <summary>The certificate in force, null until the first is issued.</summary>
    public IssuedCertificate? Current => _current;

    /// <summary>Completes when the first certificate is in force.</summary>
    public Task FirstIssued => _first.Task;

    /// <summary>How many certificates have been issued to this sidecar.</summary>
    public int Issued { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var issued = await IssueAsync(stoppingToken).ConfigureAwait(false);
                _current = issued;
                Issued++;
                retry = TimeSpan.FromMilliseconds(250);
                var life = issued.NotAfter - issued.NotBefore;
                var renewAt = issued.NotBefore + (life / 2 * (1 + ((Random.Shared.NextDouble() * 0.02) - 0.01)));
                var now = time.GetUtcNow();
                wait = renewAt - now;
                if (wait <= TimeSpan.Zero)
                {
                    // A CA that backdates more than half the life: half of what is left, never a renewal loop.
                    wait = (issued.NotAfter - now) / 2;
                    renewAt = now + wait;
                }
                LogIssued(logger, identity.SpiffeId, issued.Serial, issued.NotAfter, renewAt);
                _first.TrySetResult();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RpcException or CryptographicException or HttpRequestException or InvalidDataException)
            {
                LogFailed(logger, channel.Address, ex.Message);
                if (ex is RpcException or HttpRequestException)
                {
                    channel.FailOver();
                }
                wait = retry;
                retry = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(10).Ticks, retry.Ticks * 2));
            }
            try
            {
                await Task.Delay(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<IssuedCertificate> IssueAsync(CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"O=cluster.local, CN={identity.App}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(identity.SpiffeId));
        request.CertificateExtensions.Add(san.Build(critical: true));
        var csr = request.CreateSigningRequestPem();

        var client = new IstioCertificateService.IstioCertificateServiceClient(channel.Channel);
        var response = await client.CreateCertificateAsync(
            new IstioCertificateRequest { Csr = csr, ValidityDuration = options.Value.CertificateValiditySeconds },
            deadline: time.GetUtcNow().UtcDateTime.AddSeconds(10),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.CertChain.Count == 0)
        {
            throw new InvalidDataException("the CA answered an empty chain");
        }
        var pems = response.CertChain.SelectMany(SplitPem).ToList();
        using var leafOnly = X509Certificate2.CreateFromPem(pems[0]);
        if (SpiffeIds.Of(leafOnly) != identity.SpiffeId)
        {
            throw new InvalidDataException($"the CA issued {SpiffeIds.Of(leafOnly) ?? "no SPIFFE id"}, not {identity.SpiffeId}");
        }
        // An ephemeral key cannot serve TLS everywhere; a PKCS#12 round trip gives the platform a usable one.
        using var withKey = leafOnly.CopyWithPrivateKey(key);
        var leaf = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        var root = X509Certificate2.CreateFromPem(pems[^1]);
        var intermediates = new X509Certificate2Collection();
        foreach (var pem in pems.Skip(1).SkipLast(1))
        {
            intermediates.Add(X509Certificate2.CreateFromPem(pem));
        }
        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        return new IssuedCertificate(leaf, context, root, intermediates);
    }

    /// <summary>A chain entry may carry several PEM blocks.</summary>
    private static IEnumerable<string> SplitPem(string text)
    {
        const string end = "-----END CERTIFICATE-----";
        var start = 0;
        while (true)
        {
            var b = text.IndexOf("-----BEGIN CERTIFICATE-----", start, StringComparison.Ordinal);
            if (b < 0)
            {
                yield break;
            }
            var e = text.IndexOf(end, b, StringComparison.Ordinal);
            if (e < 0)
            {
                yield break;
            }
            yield return text[b..(e + end.Length)];
            start = e + end.Length;
        }
    }

    /// <summary>
    /// Whether a peer's certificate chains to the mesh root (and only to it), and is valid now; the peer's SPIFFE id
    /// when it does, else null.
    /// </summary>
    public string? Verify(X509Certificate? peer, X509Chain? presented)
    {
        if (_current is not { } current || peer is null)
        {
            return null;
        }
        var certificate = peer as X509Certificate2 ?? new X509Certificate2(peer);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(current.Root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements.Skip(1))
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return chain.Build(certificate) ? SpiffeIds.Of(certificate) : null;
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Certificate for {SpiffeId} issued (serial {Serial}, expires {NotAfter:o}, renewal at {RenewAt:o})")]
    private static partial void LogIssued(ILogger logger, string spiffeId, string serial, DateTimeOffset notAfter, DateTimeOffset renewAt);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Certificate request to the CA at {ControlPlane} failed: {Reason}; retrying")]
    private static partial void LogFailed(ILogger logger, string controlPlane, string reason);
}
