using System.Net;
using System.Text;
using Infrastructure.Testing;
using Microsoft.Playwright;

namespace Infrastructure.Browser.Tests;

/// <summary>Discovery.Server's status page at <c>/</c> in headless Chromium.</summary>
public sealed class DiscoveryDashboardTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Registration = """
        {"instance":{"instanceId":"web-1:dashboard-demo:8080","hostName":"web-1","app":"dashboard-demo","ipAddr":"127.0.0.1",
         "status":"UP","port":{"$":8080,"@enabled":"true"},"vipAddress":"dashboard-demo",
         "homePageUrl":"http://web-1:8080/","statusPageUrl":"http://web-1:8080/actuator/info","healthCheckUrl":"http://web-1:8080/actuator/health",
         "dataCenterInfo":{"@class":"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo","name":"MyOwn"}}}
        """;

    [Fact]
    public async Task Dashboard_RegisteredInstance_AppearsWithStatusAndLinks()
    {
        await using var server = await ServerProcess.StartAsync("Discovery.Server");
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        using (var content = new StringContent(Registration, Encoding.UTF8, "application/json"))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await http.PostAsync("/eureka/apps/dashboard-demo", content)).StatusCode);
        }

        var page = await browser.Browser.NewPageAsync();
        await page.GotoAsync(server.BaseUri.ToString());

        Assert.Equal("Eureka", await page.TitleAsync());
        var system = await page.Locator("#system-status").InnerTextAsync();
        Assert.Contains("Renews threshold", system, StringComparison.Ordinal);
        Assert.Contains("Renews (last min)", system, StringComparison.Ordinal);
        var apps = page.Locator("#applications");
        await Assertions.Expect(apps).ToContainTextAsync("DASHBOARD-DEMO");
        await Assertions.Expect(apps).ToContainTextAsync("UP (1)");
        var instanceLink = apps.Locator("a", new() { HasText = "web-1:dashboard-demo:8080" });
        Assert.Equal("http://web-1:8080/actuator/info", await instanceLink.GetAttributeAsync("href"));
        Assert.Equal("http://web-1:8080/actuator/health", await apps.Locator("a", new() { HasText = "health" }).GetAttributeAsync("href"));
        Assert.Contains("No peers configured", await page.Locator("#replicas").InnerTextAsync(), StringComparison.Ordinal);

        // The page refreshes itself: a cancel shows up without the test reloading.
        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync("/eureka/apps/DASHBOARD-DEMO/web-1:dashboard-demo:8080")).StatusCode);
        await Assertions.Expect(apps).ToContainTextAsync("No instances available", new() { Timeout = 20_000 });
    }
}
