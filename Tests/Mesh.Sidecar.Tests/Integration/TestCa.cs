using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Infrastructure.Mesh.Sidecar.Tests.Integration;

/// <summary>An in-test mesh CA: an ECDSA root, and leaves signed from CSRs with the CSR's URI SAN.</summary>
public sealed class TestCa : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private int _issued;

    public TestCa()
    {
        var request = new CertificateRequest("CN=Test Mesh Root, O=cluster.local", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
    }

    public X509Certificate2 Root { get; }

    /// <summary>Leaves issued so far.</summary>
    public int Issued => Volatile.Read(ref _issued);

    /// <summary>Signs <paramref name="csrPem"/> for <paramref name="validity"/>; the chain is leaf then root, PEM.</summary>
    public IReadOnlyList<string> Sign(string csrPem, TimeSpan validity)
    {
        var csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        var request = new CertificateRequest(csr.SubjectName, csr.PublicKey, HashAlgorithmName.SHA256);
        foreach (var extension in csr.CertificateExtensions.Where(e => e.Oid?.Value == "2.5.29.17"))
        {
            request.CertificateExtensions.Add(extension);
        }
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        var now = DateTimeOffset.UtcNow;
        using var leaf = request.Create(Root, now.AddSeconds(-1), now + validity, serial);
        Interlocked.Increment(ref _issued);
        return [leaf.ExportCertificatePem(), Root.ExportCertificatePem()];
    }

    public void Dispose()
    {
        Root.Dispose();
        _key.Dispose();
    }
}
