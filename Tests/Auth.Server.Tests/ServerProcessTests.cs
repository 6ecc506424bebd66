using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.Auth.Server.Tests;

public sealed class ServerProcessTests
{
    [Fact]
    public async Task Start_RealProcess_ReportsHealthUp()
    {
        await using var server = await ServerProcess.StartAsync("Auth.Server", environment: new Dictionary<string, string?>
        {
            ["Auth__SigningKeys__Path"] = Path.Combine(Path.GetTempPath(), "auth-process-" + Guid.NewGuid().ToString("N")),
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/actuator/health"));
        Assert.Equal("UP", doc.RootElement.GetProperty("status").GetString());
    }
}
