using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Infrastructure.Samples.Catalog.Products;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;

namespace Infrastructure.Samples.Tests;

public sealed class CatalogApiTests
{
    private static WebApplicationFactory<CatalogOptions> Catalog(string environment = "Development", Dictionary<string, string?>? settings = null) =>
        new WebApplicationFactory<CatalogOptions>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment(environment);
            b.UseSetting("Spring:Cloud:Config:Enabled", "false");
            foreach (var (k, v) in settings ?? []) { b.UseSetting(k, v); }
            b.ConfigureTestServices(TestTokens.UseTestIssuer);
        });

    private static HttpClient WithToken(WebApplicationFactory<CatalogOptions> f, string scopes)
    {
        var c = f.CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue(scopes));
        return c;
    }

    [Fact]
    public async Task Products_NoToken_Returns401()
    {
        await using var f = Catalog();
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.CreateClient().GetAsync("/api/products")).StatusCode);
    }

    [Fact]
    public async Task Products_TokenForAnotherApi_Returns401()
    {
        // Auth.Server gives an order.write token aud "orders" (and "gateway"), not "catalog".
        await using var f = Catalog();
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithToken(f, "order.write").GetAsync("/api/products")).StatusCode);
    }

    [Fact]
    public async Task Products_CatalogReadScope_ListsSeededProductsAndInstance()
    {
        await using var f = Catalog();
        using var doc = JsonDocument.Parse(await WithToken(f, "openid catalog.read").GetStringAsync("/api/products"));
        Assert.Equal(6, doc.RootElement.GetProperty("items").GetArrayLength());
        Assert.StartsWith("catalog@", doc.RootElement.GetProperty("servedBy").GetString(), StringComparison.Ordinal);
        Assert.Equal("Welcome to the catalog", doc.RootElement.GetProperty("banner").GetString());
    }

    [Fact]
    public async Task Product_DiscountFromConfiguration_AppliedToPrice()
    {
        await using var f = Catalog(settings: new() { ["Catalog:DiscountPercent"] = "50", ["Catalog:Banner"] = "Half price" });
        var c = WithToken(f, "catalog.read");
        using var doc = JsonDocument.Parse(await c.GetStringAsync("/api/products/2"));
        Assert.Equal(19.50m, doc.RootElement.GetProperty("product").GetProperty("price").GetDecimal());
        Assert.Equal(HttpStatusCode.NotFound, (await c.GetAsync("/api/products/999")).StatusCode);
    }

    [Fact]
    public async Task Chaos_Down_FailsHealthUntilCleared()
    {
        await using var f = Catalog();
        var c = f.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await c.PostAsJsonAsync("/chaos", new { down = true })).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await c.GetAsync("/actuator/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await c.DeleteAsync("/chaos")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/actuator/health")).StatusCode);
    }

    [Fact]
    public async Task Chaos_ErrorRatioOne_FailsEveryApiCall()
    {
        await using var f = Catalog();
        var c = WithToken(f, "catalog.read");
        await c.PostAsJsonAsync("/chaos", new { errorRatio = 1.0 });
        Assert.Equal(HttpStatusCode.InternalServerError, (await c.GetAsync("/api/products")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await c.PostAsJsonAsync("/chaos", new { errorRatio = 2.0 })).StatusCode);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Chaos_Production_SwitchDoesNotExist(string method)
    {
        await using var f = Catalog("Production");
        var c = f.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), "/chaos");
        if (method is "POST" or "PUT")
        {
            request.Content = JsonContent.Create(new { down = true });
        }
        Assert.Equal(HttpStatusCode.NotFound, (await c.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/actuator/health")).StatusCode);
    }

    [Fact]
    public async Task Chaos_EnabledOutsideDevelopment_NeedsToken()
    {
        await using var f = Catalog("Production", new() { ["Chaos:Enabled"] = "true", ["Chaos:Token"] = "lab-only" });
        var c = f.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await c.PostAsJsonAsync("/chaos", new { down = true })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await c.DeleteAsync("/chaos")).StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/chaos") { Content = JsonContent.Create(new { down = true }) };
        wrong.Headers.Add("X-Chaos-Token", "lab-onlY");
        Assert.Equal(HttpStatusCode.Unauthorized, (await c.SendAsync(wrong)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/actuator/health")).StatusCode);

        c.DefaultRequestHeaders.Add("X-Chaos-Token", "lab-only");
        Assert.Equal(HttpStatusCode.OK, (await c.PostAsJsonAsync("/chaos", new { down = true })).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await c.GetAsync("/actuator/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await c.DeleteAsync("/chaos")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/actuator/health")).StatusCode);
    }

    [Fact]
    public async Task Chaos_EnabledOutsideDevelopmentWithoutToken_RefusesToStart()
    {
        await using var f = Catalog("Production", new() { ["Chaos:Enabled"] = "true" });
        var e = Assert.ThrowsAny<Exception>(() => f.CreateClient());
        Assert.Contains("Chaos:Token", e.ToString(), StringComparison.Ordinal);
    }
}
