using System.Net;
using System.Text.Json;

namespace Infrastructure.Config.Server.Tests.Environment;

public sealed class BrokenFileTests
{
    [Fact]
    public async Task Get_BrokenYamlWithoutLastGood_500ForThatAppOthersServe()
    {
        using var dir = new TempDir();
        dir.Write("good.yml", "a: 1\n");
        dir.Write("bad.yml", "a: 1\nb: [oops\n");
        using var f = ConfigServerFactory.Native(dir.Path);
        using var http = f.CreateClient();
        using var bad = await http.GetAsync("/bad/default");
        Assert.Equal(HttpStatusCode.InternalServerError, bad.StatusCode);
        var body = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("bad.yml", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("line", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        using var good = await http.GetAsync("/good/default");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task Get_FileBreaksAfterGoodLoad_ServesLastGoodAndHealthReportsUntilFixed()
    {
        using var dir = new TempDir();
        var file = dir.Write("svc.yml", "value: good\n");
        using var f = ConfigServerFactory.Native(dir.Path);
        using var http = f.CreateClient();
        Assert.Contains("good", await http.GetStringAsync("/svc/default"), StringComparison.Ordinal);

        File.WriteAllText(file, "value: [broken\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));
        var env = JsonDocument.Parse(await http.GetStringAsync("/svc/default")).RootElement;
        Assert.Equal("good", env.GetProperty("propertySources")[0].GetProperty("source").GetProperty("value").GetString());
        var health = JsonDocument.Parse(await http.GetStringAsync("/actuator/health")).RootElement;
        var details = health.GetProperty("components").GetProperty("configServer").GetProperty("details");
        var broken = details.GetProperty("brokenFiles")[0];
        Assert.EndsWith("svc.yml", broken.GetProperty("file").GetString(), StringComparison.Ordinal);
        Assert.True(broken.GetProperty("line").GetInt32() >= 1);

        File.WriteAllText(file, "value: fixed\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(10));
        Assert.Contains("fixed", await http.GetStringAsync("/svc/default"), StringComparison.Ordinal);
        health = JsonDocument.Parse(await http.GetStringAsync("/actuator/health")).RootElement;
        Assert.False(health.GetProperty("components").GetProperty("configServer").GetProperty("details").TryGetProperty("brokenFiles", out _));
    }
}
