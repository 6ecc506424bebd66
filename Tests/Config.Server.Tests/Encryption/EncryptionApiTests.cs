using System.Net;
using System.Text;
using System.Text.Json;

namespace Infrastructure.Config.Server.Tests.Encryption;

public sealed class EncryptionApiTests
{
    [Fact]
    public async Task EncryptDecrypt_WithKey_RoundTripsAndServesCipherValuesDecrypted()
    {
        using var dir = new TempDir();
        using var f = ConfigServerFactory.Native(dir.Path, encryptKey: "s3cr3t-key");
        using var http = f.CreateClient();
        Assert.Equal("OK", JsonDocument.Parse(await http.GetStringAsync("/encrypt/status")).RootElement.GetProperty("status").GetString());

        using var enc = await http.PostAsync("/encrypt", new StringContent("db-password", Encoding.UTF8, "text/plain"));
        var cipher = await enc.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, enc.StatusCode);
        Assert.DoesNotContain("db-password", cipher, StringComparison.Ordinal);

        // curl -d sends form encoding with a trailing '='; Spring strips it.
        using var dec = await http.PostAsync("/decrypt", new StringContent(cipher + "=", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal("db-password", await dec.Content.ReadAsStringAsync());

        dir.Write("svc.yml", $"db:\n  password: '{{cipher}}{cipher}'\n  bad: '{{cipher}}00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'\n");
        var source = JsonDocument.Parse(await http.GetStringAsync("/svc/default")).RootElement.GetProperty("propertySources")[0].GetProperty("source");
        Assert.Equal("db-password", source.GetProperty("db.password").GetString());
        Assert.Equal("<n/a>", source.GetProperty("invalid.db.bad").GetString());
        Assert.False(source.TryGetProperty("db.bad", out _));
    }

    [Fact]
    public async Task Decrypt_NotOurCipher_400Invalid()
    {
        using var dir = new TempDir();
        using var f = ConfigServerFactory.Native(dir.Path, encryptKey: "k");
        using var http = f.CreateClient();
        using var r = await http.PostAsync("/decrypt", new StringContent("zz", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("INVALID", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Encrypt_NoKey_404WithClearMessageAndCipherServedInvalid()
    {
        using var dir = new TempDir();
        dir.Write("svc.properties", "pw={cipher}682bc583f4641835fa2db009355293665d2647dade3375c0ee201de2a49f7bda\n");
        using var f = ConfigServerFactory.Native(dir.Path);
        using var http = f.CreateClient();
        using var r = await http.PostAsync("/encrypt", new StringContent("x"));
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("NO_KEY", body.GetProperty("status").GetString());
        Assert.Contains("No key", body.GetProperty("description").GetString(), StringComparison.Ordinal);
        using var status = await http.GetAsync("/encrypt/status");
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        var source = JsonDocument.Parse(await http.GetStringAsync("/svc/default")).RootElement.GetProperty("propertySources")[0].GetProperty("source");
        Assert.Equal("<n/a>", source.GetProperty("invalid.pw").GetString());
    }

    [Fact]
    public async Task Get_SpringDocumentedCipherWithSpringKeyName_Decrypted()
    {
        using var dir = new TempDir();
        dir.Write("svc.properties", "pw={cipher}682bc583f4641835fa2db009355293665d2647dade3375c0ee201de2a49f7bda\n");
        using var f = new ConfigServerFactory(new Dictionary<string, string?>
        {
            ["ConfigServer:Native:SearchLocations"] = dir.Path,
            ["Encrypt:Key"] = "foo",
        });
        using var http = f.CreateClient();
        var source = JsonDocument.Parse(await http.GetStringAsync("/svc/default")).RootElement.GetProperty("propertySources")[0].GetProperty("source");
        Assert.Equal("mysecret", source.GetProperty("pw").GetString());
    }
}
