using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.Auth.Server.Tests;

public sealed class ServerProcessTests
{
    [Fact]
    public async Task Start_RealProcess_ReportsHealthUp()
    {
        await using var server = await ServerProcess.StartAsync("Auth.Server");
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/actuator/health"));
        Assert.Equal("UP", doc.RootElement.GetProperty("status").GetString());
    }
}
