using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Infrastructure.Testing;
using Microsoft.Playwright;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>Requests through the whole running lab: token → gateway → order → catalog ×2 → BFF, and the web shop in Chromium.</summary>
[Collection(LabCollection.Name)]
public sealed class FullLabTests(LabFixture fixture)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    internal static Task<string> TokenAsync(string scopes) => LabTokens.ClientCredentialsAsync(9000, scopes);

    private static HttpRequestMessage Bearer(HttpMethod method, string url, string token, object? body = null)
    {
        var m = new HttpRequestMessage(method, url);
        m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) { m.Content = JsonContent.Create(body); }
        return m;
    }

    [Fact]
    public async Task Token_GatewayOrderCatalog_ComposedMobileResponseFromBothInstances()
    {
        Assert.False(fixture.Lab.HasExited, fixture.Lab.Output);
        var token = await TokenAsync("catalog.read order.read order.write");

        // Load balanced: both catalog instances answer through the gateway.
        var servedBy = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var r = await Http.SendAsync(Bearer(HttpMethod.Get, "http://127.0.0.1:8080/catalog/api/products", token));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            servedBy.Add(doc.RootElement.GetProperty("servedBy").GetString()!);
        }
        Assert.Equal(2, servedBy.Count);

        // The order service calls the catalog by name.
        using var placed = await Http.SendAsync(Bearer(HttpMethod.Post, "http://127.0.0.1:8080/order/api/orders", token,
            new { items = new[] { new { productId = 2, quantity = 1 }, new { productId = 5, quantity = 2 } } }));
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        using var order = JsonDocument.Parse(await placed.Content.ReadAsStringAsync());
        var id = order.RootElement.GetProperty("id").GetGuid();
        Assert.StartsWith("catalog@", order.RootElement.GetProperty("lines")[0].GetProperty("pricedBy").GetString(), StringComparison.Ordinal);

        // The mobile BFF composes order + catalog into one compact answer.
        using var composed = await Http.SendAsync(Bearer(HttpMethod.Get, $"http://127.0.0.1:5200/m/orders/{id}", token));
        Assert.Equal(HttpStatusCode.OK, composed.StatusCode);
        using var page = JsonDocument.Parse(await composed.Content.ReadAsStringAsync());
        Assert.Equal(88.0m, page.RootElement.GetProperty("t").GetDecimal());
        Assert.False(page.RootElement.GetProperty("partial").GetBoolean());
        Assert.Equal("kitchen", page.RootElement.GetProperty("lines")[0].GetProperty("c").GetString());
    }

    [Fact]
    public async Task WebShop_LoginBrowseOrder_InChromium_SessionSharedWithSecondReplica()
    {
        Assert.False(fixture.Lab.HasExited, fixture.Lab.Output);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = TestDependencies.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);

        await page.GotoAsync("http://127.0.0.1:5100/");
        await page.ClickAsync("#login");
        await page.FillAsync("input[name=username]", "alice");
        await page.FillAsync("input[name=password]", "alice");
        await page.ClickAsync("button[type=submit]");
        // Some clients ask for consent; the lab's web-bff may or may not. Waiting for an element, not for WaitForURLAsync:
        // with Debian's newer Chromium the "load" event at the end of a POST-redirect chain is sometimes dropped.
        await page.Locator("#username, button[value=yes]").First.WaitForAsync();
        if (page.Url.Contains("consent", StringComparison.OrdinalIgnoreCase))
        {
            await page.ClickAsync("button[value=yes]");
        }
        await page.WaitForSelectorAsync("#username");
        Assert.Contains("Alice", await page.TextContentAsync("#username"), StringComparison.Ordinal);
        await page.WaitForSelectorAsync("#products tbody tr");
        Assert.Equal(6, await page.Locator("#products tbody tr").CountAsync());

        // No token ever reaches the browser: only the HttpOnly session cookie.
        var cookies = await context.CookiesAsync(["http://127.0.0.1:5100/"]);
        var session = Assert.Single(cookies, c => c.Name == "bff.session");
        Assert.True(session.HttpOnly);
        Assert.DoesNotContain(cookies, c => c.Value.StartsWith("eyJ", StringComparison.Ordinal));

        await page.ClickAsync("#products tbody tr:first-child button");
        await page.WaitForSelectorAsync("#order:not([hidden])");
        var composed = await page.TextContentAsync("#orderPage");
        Assert.Contains("Espresso cup", composed, StringComparison.Ordinal);
        Assert.Contains("\"partial\": false", composed, StringComparison.Ordinal);

        // The second Web.Bff replica finds the same session in Redis (cookies are per host, not per port).
        var second = await context.NewPageAsync();
        var response = await second.GotoAsync("http://127.0.0.1:5101/bff/user");
        Assert.Equal(200, response!.Status);
        var user = await response.TextAsync();
        Assert.Contains("Alice Smith", user, StringComparison.Ordinal);
        Assert.Contains("web-bff@127.0.0.1:5101", user, StringComparison.Ordinal);

        // Logging out revokes the session's refresh token at Auth.Server (RFC 7009), not only the cookie.
        await page.ClickAsync("#who button");
        await page.WaitForSelectorAsync("#login");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(fixture.Lab.Output.Contains("Logout: refresh token revoked at", StringComparison.Ordinal)
                 && fixture.Lab.Output.Contains("POST /connect/revocation responded 200", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "no revocation of the refresh token after logout:\n" + fixture.Lab.Output[^Math.Min(4000, fixture.Lab.Output.Length)..]);
            await Task.Delay(200);
        }
        // The session is gone from the shared store too: the old cookie, replayed at the second replica, opens nothing.
        using var replay = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:5101/bff/user");
        replay.Headers.Add("Cookie", $"{session.Name}={session.Value}");
        using var plain = new HttpClient();
        using var afterLogout = await plain.SendAsync(replay);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, afterLogout.StatusCode);
    }
}
