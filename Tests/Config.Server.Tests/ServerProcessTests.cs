using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.Config.Server.Tests;

public sealed class ServerProcessTests
{
    [Fact]
    public async Task Start_RealProcess_ReportsHealthUp()
    {
        await using var server = await ServerProcess.StartAsync("Config.Server");
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/actuator/health"));
        Assert.Equal("UP", doc.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Start_Defaults_ServesSampleRepository()
    {
        await using var server = await ServerProcess.StartAsync("Config.Server");
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        var env = JsonDocument.Parse(await http.GetStringAsync("/catalog/development")).RootElement;
        Assert.Equal(
            ["file:config-repo/catalog-development.yml", "file:config-repo/application-development.yml", "file:config-repo/catalog.yml", "file:config-repo/application.yml"],
            env.GetProperty("propertySources").EnumerateArray().Select(s => s.GetProperty("name").GetString()!));
        var catalog = env.GetProperty("propertySources")[2].GetProperty("source");
        // The sample's {cipher} value uses the Development key from appsettings.Development.json (Spring's documented example key).
        Assert.Equal("mysecret", catalog.GetProperty("catalog.database.password").GetString());
        Assert.Equal("Catalog in local (EUR)", catalog.GetProperty("catalog.banner").GetString());
        Assert.Contains("routes:", await http.GetStringAsync("/gateway-default.yml"), StringComparison.Ordinal);
    }
}
