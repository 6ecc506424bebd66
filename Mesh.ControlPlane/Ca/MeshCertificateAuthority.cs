using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Infrastructure.Mesh.ControlPlane.Ca;

/// <summary>A CSR the CA refuses, with the reason for the caller.</summary>
internal sealed class CertificateRequestException(string message) : Exception(message);

/// <summary>
/// The mesh CA (istiod's Citadel role): signs a workload's PEM CSR into a short-lived leaf whose only SAN is the SPIFFE id
/// the CSR asked for (<c>spiffe://&lt;trust domain&gt;/ns/&lt;ns&gt;/sa/&lt;sa&gt;</c>), for client and server authentication.
/// Callers are not authenticated: the CA trusts the loopback network it listens on, as istiod trusts Kubernetes'
/// service-account tokens (docs/Mesh.md).
/// </summary>
internal sealed partial class MeshCertificateAuthority : IDisposable
{
    private const string SanOid = "2.5.29.17";
    private readonly X509Certificate2 _root;
    private readonly CaOptions _options;
    private readonly TimeProvider _time;

    public MeshCertificateAuthority(IOptions<MeshOptions> options, IHostEnvironment environment, TimeProvider time, ILogger<MeshCertificateAuthority> logger)
    {
        _options = options.Value.Ca;
        _time = time;
        var folder = Path.GetFullPath(_options.RootPath, environment.ContentRootPath);
        _root = CaRoot.LoadOrCreate(folder, _options.SelfSignedRootCertTtl, _options.TrustDomain, time, out var created);
        RootPem = _root.ExportCertificatePem() + "\n";
        if (created)
        {
            LogRootCreated(logger, folder, _root.Thumbprint, _root.NotAfter);
        }
        else
        {
            LogRootLoaded(logger, folder, _root.Thumbprint, _root.NotAfter);
        }
    }

    public string RootPem { get; }

    public X509Certificate2 Root => _root;

    /// <summary>Signs <paramref name="csrPem"/>; returns [leaf, root] as PEM.</summary>
    public IReadOnlyList<string> Sign(string csrPem, TimeSpan? requested)
    {
        CertificateRequest csr;
        try
        {
            // Default options check the CSR's self-signature; the extension request is read to find the SAN asked for.
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateRequestException($"the CSR cannot be read or its signature does not verify: {ex.Message}");
        }
        catch (ArgumentException ex)
        {
            throw new CertificateRequestException($"the CSR is not a PEM certificate request: {ex.Message}");
        }
        var spiffe = SpiffeIdOf(csr);
        var lifetime = requested is { } r && r > TimeSpan.Zero ? r : _options.WorkloadCertTtl;
        if (lifetime > _options.MaxWorkloadCertTtl)
        {
            throw new CertificateRequestException($"requested TTL {lifetime} is greater than the max allowed TTL {_options.MaxWorkloadCertTtl}");
        }

        // Istio's workload certificates have an empty subject; the identity is the SAN, which is then critical (RFC 5280).
        var leaf = new CertificateRequest(new X500DistinguishedName(""), csr.PublicKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(spiffe);
        leaf.CertificateExtensions.Add(san.Build(critical: true));
        leaf.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leaf.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        leaf.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")], false));
        leaf.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = _time.GetUtcNow();
        var notAfter = now + lifetime;
        if (notAfter > _root.NotAfter)
        {
            notAfter = _root.NotAfter;
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        using var certificate = leaf.Create(_root, now.AddMinutes(-1), notAfter, serial);
        return [certificate.ExportCertificatePem() + "\n", RootPem];
    }

    /// <summary>The one URI SAN of the CSR, which must be a SPIFFE id in this trust domain.</summary>
    private Uri SpiffeIdOf(CertificateRequest csr)
    {
        var uris = new List<string>();
        foreach (var extension in csr.CertificateExtensions)
        {
            if (extension.Oid?.Value == SanOid)
            {
                uris.AddRange(ReadUris(extension.RawData));
            }
        }
        if (uris.Count != 1)
        {
            throw new CertificateRequestException($"the CSR must carry exactly one URI SAN (spiffe://{_options.TrustDomain}/ns/<namespace>/sa/<service account>); it has {uris.Count}");
        }
        var text = uris[0];
        var match = SpiffePattern().Match(text);
        if (!match.Success || match.Groups["td"].Value != _options.TrustDomain)
        {
            throw new CertificateRequestException($"\"{text}\" is not a SPIFFE id of the form spiffe://{_options.TrustDomain}/ns/<namespace>/sa/<service account>");
        }
        return new Uri(text);
    }

    /// <summary>The URIs (GeneralName [6] uniformResourceIdentifier) in a SubjectAltName extension's value.</summary>
    internal static IEnumerable<string> ReadUris(byte[] extensionValue)
    {
        var result = new List<string>();
        try
        {
            var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(uriTag))
                {
                    result.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException ex)
        {
            throw new CertificateRequestException($"the CSR's subjectAltName extension is malformed: {ex.Message}");
        }
        return result;
    }

    public void Dispose() => _root.Dispose();

    [GeneratedRegex("^spiffe://(?<td>[a-z0-9.-]+)/ns/(?<ns>[a-z0-9]([-a-z0-9]*[a-z0-9])?)/sa/(?<sa>[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?)$", RegexOptions.CultureInvariant)]
    private static partial Regex SpiffePattern();

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Mesh CA: created the root in {Folder} (thumbprint {Thumbprint}, valid until {NotAfter:O})")]
    private static partial void LogRootCreated(ILogger logger, string folder, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Mesh CA: loaded the root from {Folder} (thumbprint {Thumbprint}, valid until {NotAfter:O})")]
    private static partial void LogRootLoaded(ILogger logger, string folder, string thumbprint, DateTime notAfter);
}
