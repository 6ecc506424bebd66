using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Infrastructure.Mesh.ControlPlane.Ca;

/// <summary>
/// The mesh's root: ECDSA P-256, self-signed, created once in <c>Mesh:Ca:RootPath</c> and reused across restarts and by
/// every replica sharing the folder. <c>root-key.pem</c> holds the certificate and its key in one file so that it can be
/// created atomically (written aside, then moved into place without overwriting: of two replicas starting together one
/// wins and the other loads the winner's); <c>root-cert.pem</c> beside it is the certificate alone, for operators.
/// The key is stored unencrypted, readable by the owner only: protect the folder as istiod's cacerts secret is protected.
/// </summary>
internal static class CaRoot
{
    public const string KeyFile = "root-key.pem";
    public const string CertFile = "root-cert.pem";

    public static X509Certificate2 LoadOrCreate(string folder, TimeSpan lifetime, string trustDomain, TimeProvider time, out bool created)
    {
        Directory.CreateDirectory(folder);
        var keyPath = Path.Combine(folder, KeyFile);
        created = false;
        if (!File.Exists(keyPath))
        {
            var pem = Create(lifetime, trustDomain, time);
            var temp = Path.Combine(folder, $".{KeyFile}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            var createOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                createOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var stream = new FileStream(temp, createOptions))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(pem);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temp, keyPath, overwrite: false);
                created = true;
            }
            catch (IOException) when (File.Exists(keyPath))
            {
                // Another replica created it first: use theirs.
                File.Delete(temp);
            }
        }
        var text = File.ReadAllText(keyPath);
        var root = X509Certificate2.CreateFromPem(text, text);
        var certPath = Path.Combine(folder, CertFile);
        var certPem = root.ExportCertificatePem() + "\n";
        if (!File.Exists(certPath) || File.ReadAllText(certPath) != certPem)
        {
            var temp = certPath + $".{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, certPem);
            File.Move(temp, certPath, overwrite: true);
        }
        return root;
    }

    private static string Create(TimeSpan lifetime, string trustDomain, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // Istio's self-signed root: O=<trust domain>; a CA that may sign end-entity certificates only.
        var request = new CertificateRequest($"O={trustDomain}, CN=Mesh root CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + lifetime);
        return certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
    }
}
