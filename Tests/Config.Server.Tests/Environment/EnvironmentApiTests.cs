using System.Net;
using System.Text.Json;

namespace Infrastructure.Config.Server.Tests.Environment;

public sealed class EnvironmentApiTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ConfigServerFactory _factory;
    private readonly HttpClient _http;

    public EnvironmentApiTests()
    {
        _dir.Write("application.yml", "shared: base\nregion: eu\ngreeting: hello ${region}\n");
        _dir.Write("application-dev.yml", "shared: app-dev\nregion: local\n");
        _dir.Write("shop.yml", "shared: shop\nshop:\n  items:\n    - a\n    - b\n  size: 3\n");
        _dir.Write("shop-dev.properties", "shared=shop-dev\nshop.size=5\n");
        _dir.Write("shop-cloud.yml", "shared: shop-cloud\n");
        _dir.Write("multi.yml", "v: base\n---\nspring:\n  config:\n    activate:\n      on-profile: dev\nv: dev-doc\n");
        _dir.Write("shop.txt", "size=${shop.size}\n");
        _dir.Write("shop-dev.txt", "dev size=${shop.size}\n");
        _factory = ConfigServerFactory.Native(_dir.Path);
        _http = _factory.CreateClient();
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
        _dir.Dispose();
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var r = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static string[] SourceNames(JsonElement env) =>
        env.GetProperty("propertySources").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray();

    [Fact]
    public async Task GetEnvironment_AppAndProfile_ReturnsSpringShapeAndOrder()
    {
        var env = await GetJsonAsync("/shop/dev");
        Assert.Equal("shop", env.GetProperty("name").GetString());
        Assert.Equal(["dev"], env.GetProperty("profiles").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("master", env.GetProperty("label").GetString());
        Assert.Equal(JsonValueKind.Null, env.GetProperty("version").ValueKind);
        Assert.Equal(JsonValueKind.Null, env.GetProperty("state").ValueKind);
        var prefix = "file:" + _dir.Path + "/";
        Assert.Equal([prefix + "shop-dev.properties", prefix + "application-dev.yml", prefix + "shop.yml", prefix + "application.yml"], SourceNames(env));
        var shop = env.GetProperty("propertySources")[2].GetProperty("source");
        Assert.Equal("a", shop.GetProperty("shop.items[0]").GetString());
        Assert.Equal(3, shop.GetProperty("shop.size").GetInt32());
    }

    [Fact]
    public async Task GetEnvironment_SeveralProfilesPercentEncoded_LaterProfileWins()
    {
        var env = await GetJsonAsync("/shop/dev%2Ccloud");
        Assert.Equal(["dev", "cloud"], env.GetProperty("profiles").EnumerateArray().Select(p => p.GetString()));
        var names = SourceNames(env).Select(n => Path.GetFileName(n)!).ToArray();
        Assert.Equal(["shop-cloud.yml", "shop-dev.properties", "application-dev.yml", "shop.yml", "application.yml"], names);
    }

    [Fact]
    public async Task GetEnvironment_WithLabel_EchoesLabel()
    {
        var env = await GetJsonAsync("/shop/dev/release(_)1");
        Assert.Equal("release/1", env.GetProperty("label").GetString());
    }

    [Fact]
    public async Task GetEnvironment_UnknownApplication_ReturnsApplicationDefaults()
    {
        var env = await GetJsonAsync("/nobody/default");
        Assert.Equal(["application.yml"], SourceNames(env).Select(n => Path.GetFileName(n)!));
    }

    [Fact]
    public async Task GetEnvironment_Placeholders_ResolvedAcrossSourcesUnlessAskedNot()
    {
        var env = await GetJsonAsync("/shop/dev");
        var app = env.GetProperty("propertySources")[3].GetProperty("source");
        Assert.Equal("hello local", app.GetProperty("greeting").GetString());
        var raw = await GetJsonAsync("/shop/dev?resolvePlaceholders=false");
        Assert.Equal("hello ${region}", raw.GetProperty("propertySources")[3].GetProperty("source").GetProperty("greeting").GetString());
    }

    [Fact]
    public async Task GetEnvironment_MultiDocumentYaml_ActivatedDocumentOutranksBase()
    {
        var env = await GetJsonAsync("/multi/dev");
        var names = SourceNames(env).Select(n => Path.GetFileName(n)!).ToArray();
        Assert.Equal(["application-dev.yml", "multi.yml (document #1)", "multi.yml", "application.yml"], names);
        var first = env.GetProperty("propertySources")[1];
        Assert.Equal("dev-doc", first.GetProperty("source").GetProperty("v").GetString());
        var plain = await GetJsonAsync("/multi/default");
        Assert.Equal("base", plain.GetProperty("propertySources")[0].GetProperty("source").GetProperty("v").GetString());
    }

    [Theory]
    [InlineData("/shop/..")]
    [InlineData("/shop/de..v")]
    [InlineData("/shop/dev/..%2F..%2Fetc/x.txt")]
    public async Task Get_PathTraversal_Returns400WithSpringErrorBody(string path)
    {
        using var r = await _http.GetAsync(path);
        Assert.True(r.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{path}: {r.StatusCode}");
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((int)r.StatusCode, body.GetProperty("status").GetInt32());
        foreach (var field in new[] { "timestamp", "error", "message", "path" })
        {
            Assert.True(body.TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public async Task GetYaml_MergedDocument_NestsKeysMostSpecificWinning()
    {
        var yml = await _http.GetStringAsync("/shop-dev.yml");
        Assert.Contains("shared: shop-dev", yml, StringComparison.Ordinal);
        Assert.Contains("  items:\n  - a\n  - b", yml, StringComparison.Ordinal);
        Assert.Contains("greeting: hello local", yml, StringComparison.Ordinal);
        var labelled = await _http.GetStringAsync("/master/shop-dev.yaml");
        Assert.Equal(yml, labelled);
    }

    [Fact]
    public async Task GetProperties_MergedDocument_IsFlat()
    {
        var props = await _http.GetStringAsync("/shop-dev.properties");
        Assert.Contains("shop.items[1]: b\n", props, StringComparison.Ordinal);
        Assert.Contains("shop.size: 5\n", props, StringComparison.Ordinal);
        var raw = await _http.GetStringAsync("/shop-dev.properties?resolvePlaceholders=false");
        Assert.Contains("greeting: hello ${region}\n", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetJson_MergedDocument_IsNested()
    {
        var json = JsonDocument.Parse(await _http.GetStringAsync("/shop-dev.json")).RootElement;
        Assert.Equal("b", json.GetProperty("shop").GetProperty("items")[1].GetString());
    }

    [Fact]
    public async Task GetPlainText_ProfileVariantFirst_PlaceholdersResolved()
    {
        Assert.Equal("dev size=5\n", await _http.GetStringAsync("/shop/dev/master/shop.txt"));
        Assert.Equal("size=3\n", await _http.GetStringAsync("/shop/default/master/shop.txt"));
        using var missing = await _http.GetAsync("/shop/dev/master/none.txt");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
