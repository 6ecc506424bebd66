using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>Every server serves HTTPS with a certificate configured the way Kestrel documents it, through environment variables.</summary>
public sealed class HttpsEndpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("https-").FullName;

    [Theory]
    [InlineData("Discovery.Server")]
    [InlineData("Gateway")]
    [InlineData("Config.Server")]
    [InlineData("Auth.Server")]
    public async Task KestrelCertificateSettings_HealthOverHttps(string project)
    {
        using var certificate = SelfSigned();
        var pfx = Path.Combine(_dir, project + ".pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "pfx-pass"));
        var http = FreePort.Next();
        var https = FreePort.Next();
        await using var server = await ServerProcess.StartAsync(project, port: http, environment: new Dictionary<string, string?>
        {
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{http}",
            ["Kestrel__Endpoints__Https__Url"] = $"https://127.0.0.1:{https}",
            ["Kestrel__Endpoints__Https__Certificate__Path"] = pfx,
            ["Kestrel__Endpoints__Https__Certificate__Password"] = "pfx-pass",
        });
        using var handler = new HttpClientHandler
        {
            // Trust exactly the certificate the server was given, nothing else.
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{https}/"), Timeout = TimeSpan.FromSeconds(30) };

        using var response = await GetOnceBoundAsync(client, "/actuator/health");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("UP", doc.RootElement.GetProperty("status").GetString());
        Assert.DoesNotContain("pfx-pass", server.Output, StringComparison.Ordinal);
    }

    // Kestrel binds its endpoints one after the other and serves each as soon as it is bound, so the HTTP endpoint the
    // readiness probe used can answer while the HTTPS one (loading its certificate) is not bound yet.
    private static async Task<HttpResponseMessage> GetOnceBoundAsync(HttpClient client, string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await client.GetAsync(path);
            }
            catch (HttpRequestException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused }
                && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null, X509KeyStorageFlags.Exportable);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
