using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.Config.Server.Tests.Interop;

/// <summary>The npm <c>cloud-config-client</c> 1.6.2, unmodified, against a real Config.Server process.</summary>
public sealed class NpmCloudConfigClientTests
{
    [Fact]
    public async Task Load_NpmClientSeveralProfilesLabelAndBasicAuth_ReadsMergedValues()
    {
        using var dir = new TempDir();
        dir.Write("application.yml", "shared: app\nregion: eu\n");
        dir.Write("shop.yml", "shared: shop\nshop:\n  size: 3\n  items: [a, b]\n  password: '{cipher}682bc583f4641835fa2db009355293665d2647dade3375c0ee201de2a49f7bda'\n");
        dir.Write("shop-dev.yml", "shop:\n  size: 5\n");
        dir.Write("shop-cloud.properties", "shared=shop-cloud\n");
        await using var server = await ServerProcess.StartAsync("Config.Server", environment: new Dictionary<string, string?>
        {
            ["ConfigServer__Native__SearchLocations"] = dir.Path,
            ["ConfigServer__Encrypt__Key"] = "foo",
            ["ConfigServer__Security__Enabled"] = "true",
            ["ConfigServer__Security__Users__0__Username"] = "reader",
            ["ConfigServer__Security__Users__0__Password"] = "r-pass",
        });
        const string script = """
            const client = require('cloud-config-client');
            client.load({ endpoint: process.env.CONFIG_URI, name: 'shop', profiles: ['dev', 'cloud'], label: 'master', auth: { user: 'reader', pass: 'r-pass' } })
              .then(c => console.log(JSON.stringify({
                  size: c.get('shop.size'), shared: c.get('shared'), region: c.get('region'),
                  item1: c.get('shop', 'items[1]'), password: c.get('shop.password'),
                  label: c.raw.label, profiles: c.raw.profiles, object: c.toObject() })))
              .catch(e => { console.error('FAILED ' + e.message); process.exit(2); });
            """;
        var (exit, output) = await NodeScript.RunAsync(script, TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["CONFIG_URI"] = server.BaseUri.ToString() });
        Assert.True(exit == 0, output);
        var r = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal(5, r.GetProperty("size").GetInt32());
        Assert.Equal("shop-cloud", r.GetProperty("shared").GetString());
        Assert.Equal("eu", r.GetProperty("region").GetString());
        Assert.Equal("b", r.GetProperty("item1").GetString());
        Assert.Equal("mysecret", r.GetProperty("password").GetString());
        Assert.Equal("master", r.GetProperty("label").GetString());
        Assert.Equal(["dev", "cloud"], r.GetProperty("profiles").EnumerateArray().Select(p => p.GetString()!));
        Assert.Equal("b", r.GetProperty("object").GetProperty("shop").GetProperty("items")[1].GetString());
    }

    [Fact]
    public async Task Load_NpmClientDefaultProfile_ReadsApplicationDefaults()
    {
        using var dir = new TempDir();
        dir.Write("application.yml", "shared: app\n");
        await using var server = await ServerProcess.StartAsync("Config.Server", environment: new Dictionary<string, string?>
        {
            ["ConfigServer__Native__SearchLocations"] = dir.Path,
        });
        const string script = """
            require('cloud-config-client').load({ endpoint: process.env.CONFIG_URI, name: 'nobody' })
              .then(c => console.log(JSON.stringify({ shared: c.get('shared'), profiles: c.raw.profiles })))
              .catch(e => { console.error('FAILED ' + e.message); process.exit(2); });
            """;
        var (exit, output) = await NodeScript.RunAsync(script, TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["CONFIG_URI"] = server.BaseUri.ToString() });
        Assert.True(exit == 0, output);
        var r = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal("app", r.GetProperty("shared").GetString());
        Assert.Equal("default", r.GetProperty("profiles")[0].GetString());
    }
}
