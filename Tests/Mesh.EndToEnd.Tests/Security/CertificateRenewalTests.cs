using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Infrastructure.Mesh.EndToEnd.Tests.Topology;

namespace Infrastructure.Mesh.EndToEnd.Tests.Security;

/// <summary>Workload certificates renewed at half their (here very short) life while requests flow, none of them dropped.</summary>
public sealed class CertificateRenewalTests
{
    /// <summary>The control plane's default lifetime of workload certificates, shortened from 24 h to its minimum range (70 s).</summary>
    internal static readonly string[] ShortLifetime = ["--Mesh:Ca:WorkloadCertTtl=00:01:10"];

    [Fact]
    public async Task ShortLivedCertificates_RenewedUnderTraffic_NoRequestDropped()
    {
        await using var mesh = await MeshHost.StartAsync(ShortLifetime);
        var ratings = await mesh.AddAsync("ratings", "v1", BookinfoFixture.RatingsCommand());
        var caller = await mesh.AddAsync("reviews", "v2", command: null);
        // STRICT: every request that gets through was mutually authenticated with the certificates in force.
        mesh.Config.Write("strict.yaml", """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: default
            spec:
              mtls:
                mode: STRICT
            """);
        mesh.Config.Delete("peer-authentication.yaml");
        await Eventually.UntilAsync(async () => (await caller.SendAsync("ratings", "/ratings/0")).Ok, Bounds.Converge, () => "ratings through the caller's sidecar\n" + mesh.Logs());

        var first = await ServerCertificateAsync(ratings.InboundPort);
        var serials = new HashSet<string> { first.SerialNumber };
        var sent = 0;
        var failures = new List<string>();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        // Renewed at half its life: watch for two renewals, bounded at 45 s (at least one is due by then).
        while (serials.Count < 3 && sw.Elapsed < TimeSpan.FromSeconds(45))
        {
            for (var i = 0; i < 20; i++)
            {
                var r = await caller.SendAsync("ratings", "/ratings/0");
                sent++;
                if (!r.Ok) { failures.Add($"{sw.Elapsed.TotalSeconds:0.0}s: {r}"); }
            }
            serials.Add((await ServerCertificateAsync(ratings.InboundPort)).SerialNumber);
        }

        Assert.True(serials.Count >= 2, $"ratings' certificate was renewed {serials.Count - 1} times in {sw.Elapsed.TotalSeconds:0}s (first valid {first.NotBefore:O} to {first.NotAfter:O})\n{mesh.Logs()}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests failed across renewals:\n{string.Join("\n", failures.Take(10))}");
    }

    /// <summary>The certificate the sidecar's inbound port presents (a TLS handshake without a client certificate shows it before refusing).</summary>
    private static async Task<X509Certificate2> ServerCertificateAsync(int port)
    {
        X509Certificate2? seen = null;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
        {
            if (cert is not null) { seen = new X509Certificate2(cert); }
            return true;
        });
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "ratings" }).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or TimeoutException)
        {
            // Refused for want of a client certificate: the server's was seen already.
        }
        return seen ?? throw new InvalidOperationException($"no certificate from 127.0.0.1:{port}");
    }
}
