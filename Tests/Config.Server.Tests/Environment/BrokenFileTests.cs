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
    public async Task Get_BillionLaughsYaml_500NamingTheLimitOthersServe()
    {
        using var dir = new TempDir();
        dir.Write("good.yml", "a: 1\n");
        dir.Write("bomb.yml", YamlBombs.BillionLaughs());
        using var f = ConfigServerFactory.Native(dir.Path);
        // A guard against hanging, not a speed check: unbounded, this request never completes.
        using var http = f.CreateClient();
        http.Timeout = TimeSpan.FromSeconds(10);
        for (var i = 0; i < 2; i++)
        {
            using var bomb = await http.GetAsync("/bomb/default");
            Assert.Equal(HttpStatusCode.InternalServerError, bomb.StatusCode);
            var body = JsonDocument.Parse(await bomb.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(500, body.GetProperty("status").GetInt32());
            Assert.Equal("/bomb/default", body.GetProperty("path").GetString());
            var message = body.GetProperty("message").GetString()!;
            Assert.Contains("bomb.yml", message, StringComparison.Ordinal);
            Assert.Contains("aliases", message, StringComparison.Ordinal);
        }
        using var good = await http.GetAsync("/good/default");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        var health = JsonDocument.Parse(await http.GetStringAsync("/actuator/health")).RootElement;
        var broken = health.GetProperty("components").GetProperty("configServer").GetProperty("details").GetProperty("brokenFiles")[0];
        Assert.EndsWith("bomb.yml", broken.GetProperty("file").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_FileOverSizeLimit_500NamingTheLimit()
    {
        using var dir = new TempDir();
        dir.Write("big.yml", "a: " + new string('x', 5000) + "\n");
        using var f = new ConfigServerFactory(new Dictionary<string, string?>
        {
            ["ConfigServer:Native:SearchLocations"] = dir.Path,
            ["ConfigServer:Limits:MaxFileBytes"] = "4096",
        });
        using var http = f.CreateClient();
        using var r = await http.GetAsync("/big/default");
        Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        Assert.Contains("ConfigServer:Limits:MaxFileBytes", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
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
        // The file watcher tells the server within milliseconds; poll rather than race it.
        var details = await EventuallyAsync(http, d => d.TryGetProperty("brokenFiles", out _));
        var broken = details.GetProperty("brokenFiles")[0];
        Assert.EndsWith("svc.yml", broken.GetProperty("file").GetString(), StringComparison.Ordinal);
        Assert.True(broken.GetProperty("line").GetInt32() >= 1);
        var env = JsonDocument.Parse(await http.GetStringAsync("/svc/default")).RootElement;
        Assert.Equal("good", env.GetProperty("propertySources")[0].GetProperty("source").GetProperty("value").GetString());

        File.WriteAllText(file, "value: fixed\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(10));
        details = await EventuallyAsync(http, d => !d.TryGetProperty("brokenFiles", out _));
        Assert.False(details.TryGetProperty("brokenFiles", out _));
        Assert.Contains("fixed", await http.GetStringAsync("/svc/default"), StringComparison.Ordinal);
    }

    /// <summary>Requests the application (which parses its files) and reads the health details until <paramref name="done"/> or 15 s.</summary>
    private static async Task<JsonElement> EventuallyAsync(HttpClient http, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            (await http.GetAsync("/svc/default")).Dispose();
            var health = JsonDocument.Parse(await http.GetStringAsync("/actuator/health")).RootElement;
            var details = health.GetProperty("components").GetProperty("configServer").GetProperty("details").Clone();
            if (done(details) || DateTime.UtcNow > deadline)
            {
                return details;
            }
            await Task.Delay(50);
        }
    }
}
