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

    [Fact]
    public async Task Chaos_OutsideDevelopment_Refused()
    {
        await using var f = Catalog("Production");
        var r = await f.CreateClient().PostAsJsonAsync("/chaos", new { down = true });
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
    }
}
