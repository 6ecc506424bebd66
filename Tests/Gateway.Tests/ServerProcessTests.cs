using System.Text.Json;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests;

public sealed class ServerProcessTests
{
    [Fact]
    public async Task Start_RealProcess_ReportsHealthUp()
    {
        await using var server = await ServerProcess.StartAsync("Gateway");
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/actuator/health"));
        Assert.Equal("UP", doc.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Start_RealProcessWithLbRoute_ProxiesToBackend()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var server = await ServerProcess.StartAsync("Gateway", args:
        [
            $"--Spring:Cloud:Discovery:Client:Simple:Instances:catalog:0:Uri={backend.Url}",
            "--Gateway:Routes:0:Id=catalog", "--Gateway:Routes:0:Uri=lb://catalog",
            "--Gateway:Routes:0:Predicates:0=Path=/api/catalog/**", "--Gateway:Routes:0:Filters:0=StripPrefix=2",
        ]);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        using var r = await http.GetAsync("/api/catalog/items");
        var echo = await EchoResponse.ReadAsync(r);
        Assert.Equal("/items", echo.Path);
        Assert.Equal("a", echo.Backend);
    }
}
