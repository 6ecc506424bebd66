using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.ControlPlane.Ca;
using Infrastructure.Mesh.ControlPlane.Tests.Support;

namespace Infrastructure.Mesh.ControlPlane.Tests.Ca;

public sealed class CertificateServiceTests
{
    internal static string Csr(ECDsa key, params string[] uris)
    {
        var request = new CertificateRequest("", key, HashAlgorithmName.SHA256);
        if (uris.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var uri in uris)
            {
                san.AddUri(new Uri(uri));
            }
            san.AddDnsName("reviews.default.svc");
            request.CertificateExtensions.Add(san.Build());
        }
        return request.CreateSigningRequestPem();
    }

    [Fact]
    public async Task CreateCertificate_SpiffeCsr_LeafWithUriSanChainsToRoot()
    {
        await using var host = new ControlPlaneHost();
        using var channel = host.Channel();
        var client = new IstioCertificateService.IstioCertificateServiceClient(channel);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var response = await client.CreateCertificateAsync(new IstioCertificateRequest { Csr = Csr(key, "spiffe://cluster.local/ns/default/sa/reviews") });

        Assert.Equal(2, response.CertChain.Count);
        using var leaf = X509Certificate2.CreateFromPem(response.CertChain[0]);
        using var root = X509Certificate2.CreateFromPem(response.CertChain[1]);
        var san = leaf.Extensions.Single(e => e.Oid?.Value == "2.5.29.17");
        Assert.Equal(["spiffe://cluster.local/ns/default/sa/reviews"], MeshCertificateAuthority.ReadUris(san.RawData));
        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Contains(eku.EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.1");
        Assert.Contains(eku.EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.2");
        Assert.InRange(leaf.NotAfter - leaf.NotBefore, TimeSpan.FromHours(23), TimeSpan.FromHours(25));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(File.ReadAllText(Path.Combine(host.CaFolder, CaRoot.CertFile)).Trim(), response.CertChain[1].Trim());

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public async Task CreateCertificate_RequestedValidity_Honoured()
    {
        await using var host = new ControlPlaneHost();
        using var channel = host.Channel();
        var client = new IstioCertificateService.IstioCertificateServiceClient(channel);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var response = await client.CreateCertificateAsync(new IstioCertificateRequest { Csr = Csr(key, "spiffe://cluster.local/ns/default/sa/a"), ValidityDuration = 3600 });

        using var leaf = X509Certificate2.CreateFromPem(response.CertChain[0]);
        Assert.InRange(leaf.NotAfter - leaf.NotBefore, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(62));
    }

    [Theory]
    [InlineData(new string[0], "exactly one URI SAN")]
    [InlineData(new[] { "spiffe://cluster.local/ns/default/sa/a", "spiffe://cluster.local/ns/default/sa/b" }, "exactly one URI SAN")]
    [InlineData(new[] { "https://cluster.local/ns/default/sa/a" }, "not a SPIFFE id")]
    [InlineData(new[] { "spiffe://other.domain/ns/default/sa/a" }, "not a SPIFFE id")]
    [InlineData(new[] { "spiffe://cluster.local/ns/default/sa/a/extra" }, "not a SPIFFE id")]
    [InlineData(new[] { "spiffe://cluster.local/sa/a" }, "not a SPIFFE id")]
    public async Task CreateCertificate_BadSan_InvalidArgument(string[] uris, string reason)
    {
        await using var host = new ControlPlaneHost();
        using var channel = host.Channel();
        var client = new IstioCertificateService.IstioCertificateServiceClient(channel);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.CreateCertificateAsync(new IstioCertificateRequest { Csr = Csr(key, uris) }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(reason, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateCertificate_TamperedCsr_InvalidArgument()
    {
        await using var host = new ControlPlaneHost();
        using var channel = host.Channel();
        var client = new IstioCertificateService.IstioCertificateServiceClient(channel);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = Csr(key, "spiffe://cluster.local/ns/default/sa/a");
        var der = Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        der[^5] ^= 0x55; // inside the signature
        var tampered = PemEncoding.WriteString("CERTIFICATE REQUEST", der);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.CreateCertificateAsync(new IstioCertificateRequest { Csr = tampered }));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);

        ex = await Assert.ThrowsAsync<RpcException>(async () => await client.CreateCertificateAsync(new IstioCertificateRequest { Csr = "not a csr" }));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task Root_ReusedAfterRestart()
    {
        var caFolder = TempFolder.Create("mesh-ca");
        string first;
        await using (var host = new ControlPlaneHost(caFolder: caFolder))
        {
            first = (await host.GetJsonAsync("/actuator/health")) is not null ? File.ReadAllText(Path.Combine(caFolder, CaRoot.CertFile)) : "";
        }
        await using var again = new ControlPlaneHost(caFolder: caFolder);
        using var channel = again.Channel();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = await new IstioCertificateService.IstioCertificateServiceClient(channel)
            .CreateCertificateAsync(new IstioCertificateRequest { Csr = Csr(key, "spiffe://cluster.local/ns/default/sa/a") });

        Assert.Equal(first.Trim(), response.CertChain[1].Trim());
    }

    [Fact]
    public void LoadOrCreate_ReplicasStartingTogether_ShareOneRoot()
    {
        var folder = TempFolder.Create("mesh-ca");
        var thumbprints = new string[6];
        Parallel.For(0, thumbprints.Length, i =>
        {
            using var root = CaRoot.LoadOrCreate(folder, TimeSpan.FromDays(3650), "cluster.local", TimeProvider.System, out _);
            thumbprints[i] = root.Thumbprint;
        });

        Assert.Single(thumbprints.Distinct());
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
        using var loaded = CaRoot.LoadOrCreate(folder, TimeSpan.FromDays(3650), "cluster.local", TimeProvider.System, out var created);
        Assert.False(created);
        Assert.Equal(thumbprints[0], loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
        Assert.InRange(loaded.NotAfter - loaded.NotBefore, TimeSpan.FromDays(3649), TimeSpan.FromDays(3651));
        Assert.Equal("1.2.840.10045.2.1", loaded.PublicKey.Oid.Value); // EC public key
    }
}
