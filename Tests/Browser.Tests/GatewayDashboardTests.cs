using System.Net;
using Infrastructure.Testing;
using Microsoft.Playwright;

namespace Infrastructure.Browser.Tests;

/// <summary>
/// The gateway's live dashboard at <c>/dashboard</c> in headless Chromium, over a real Catalog.Service process: the student's
/// clicks take the instance down through its chaos switch, the route's breaker is shown opening, then healing closes it.
/// </summary>
public sealed class GatewayDashboardTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string RouteId = "catalog-health";

    [Fact]
    public async Task Dashboard_InstanceTakenDownThenHealedByButtons_BreakerShownOpenThenClosed()
    {
        var deadConfigServer = $"http://127.0.0.1:{FreePort.Next()}";
        await using var catalog = await ServerProcess.StartAsync("Samples/Catalog.Service", environment: new Dictionary<string, string?>
        {
            // Isolated from any lab running on this machine: no config server, no registry.
            ["Spring__Cloud__Config__Uri"] = deadConfigServer,
            ["Spring__Cloud__Config__Watch__Enabled"] = "false",
        });
        var catalogPort = catalog.BaseUri.Port;
        var instanceId = $"127.0.0.1:catalog:{catalogPort}";
        await using var gateway = await ServerProcess.StartAsync("Gateway", environment: new Dictionary<string, string?>
        {
            ["Spring__Cloud__Discovery__Client__Simple__Instances__catalog__0__Uri"] = catalog.BaseUri.ToString(),
            ["Gateway__Dashboard__RollingStatsTimeInMilliseconds"] = "2000",
            ["Gateway__Dashboard__RollingStatsNumBuckets"] = "4",
            ["Gateway__Dashboard__StreamIntervalMilliseconds"] = "250",
            ["Gateway__CircuitBreakers__catalogcb__RequestVolumeThreshold"] = "4",
            ["Gateway__CircuitBreakers__catalogcb__SleepWindowInMilliseconds"] = "1500",
            ["Gateway__CircuitBreakers__catalogcb__RollingStatsTimeInMilliseconds"] = "3000",
            ["Gateway__CircuitBreakers__catalogcb__TimeoutInMilliseconds"] = "5000",
            ["Gateway__Routes__0__Id"] = RouteId,
            ["Gateway__Routes__0__Uri"] = "lb://catalog",
            ["Gateway__Routes__0__Predicates__0"] = "Path=/catalog-health",
            ["Gateway__Routes__0__Filters__0"] = "SetPath=/actuator/health",
            ["Gateway__Routes__0__Filters__1__Name"] = "CircuitBreaker",
            ["Gateway__Routes__0__Filters__1__Args__name"] = "catalogcb",
            ["Gateway__Routes__0__Filters__1__Args__statusCodes"] = "500,503",
        }, readyPath: "/actuator/gateway/routes");

        using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using (var first = await http.GetAsync("/catalog-health"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        await using var load = new LoadLoop(http, "/catalog-health", pauseMs: 50);

        var page = await browser.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(gateway.BaseUri, "/dashboard").ToString());
        Assert.Equal("Gateway dashboard", await page.TitleAsync());
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live", new() { Timeout = 20_000 });

        var route = page.Locator($"[data-route=\"{RouteId}\"]");
        var breaker = route.Locator("h3 .circuit");
        await Assertions.Expect(breaker).ToHaveAttributeAsync("data-circuit", "CLOSED", new() { Timeout = 20_000 });
        await Assertions.Expect(route.Locator($"tr.instance-row[data-instance=\"{instanceId}\"]")).ToBeVisibleAsync(new() { Timeout = 20_000 });

        var instance = page.Locator($"#registry [data-app=\"catalog\"] .instance[data-instance=\"{instanceId}\"]");
        await Assertions.Expect(instance).ToContainTextAsync("UP", new() { Timeout = 20_000 });

        // Take it down from the dashboard: the gateway forwards {"down":true} to the instance's POST /chaos.
        await instance.Locator("button[data-action=\"down\"]").ClickAsync();
        await Assertions.Expect(instance.Locator(".chaos-result")).ToHaveAttributeAsync("data-status", "200", new() { Timeout = 20_000 });
        await Assertions.Expect(breaker).ToHaveAttributeAsync("data-circuit", "OPEN", new() { Timeout = 30_000 });
        await Assertions.Expect(route.Locator("tr.route-row [data-field=\"errors\"]")).Not.ToHaveTextAsync("0 % (0)");
        Assert.Contains("since", await route.Locator("h3").InnerTextAsync(), StringComparison.Ordinal);

        // Heal it from the dashboard: after the sleep window a trial request succeeds and the breaker closes.
        await instance.Locator("button[data-action=\"heal\"]").ClickAsync();
        await Assertions.Expect(breaker).ToHaveAttributeAsync("data-circuit", "CLOSED", new() { Timeout = 30_000 });

        using var chaos = await new HttpClient().GetAsync(new Uri(catalog.BaseUri, "/chaos"));
        Assert.Contains("\"down\":false", await chaos.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
