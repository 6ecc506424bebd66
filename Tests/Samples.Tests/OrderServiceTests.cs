using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Infrastructure.Samples.Order.Catalog;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;

namespace Infrastructure.Samples.Tests;

/// <summary>Order → catalog by name: a fake catalog on a real loopback port, resolved through service discovery.</summary>
public sealed class OrderServiceTests : IAsyncLifetime
{
    private WebApplication _catalog = null!;
    private int _port;
    private volatile bool _failing;
    private int _calls;
    private string? _lastAuthorization;

    public async Task InitializeAsync()
    {
        _port = FreePort.Next();
        var b = WebApplication.CreateSlimBuilder();
        b.WebHost.UseUrls($"http://127.0.0.1:{_port}");
        _catalog = b.Build();
        _catalog.MapGet("/api/products/{id:int}", (int id, HttpContext ctx) =>
        {
            Interlocked.Increment(ref _calls);
            _lastAuthorization = ctx.Request.Headers.Authorization.ToString();
            if (_failing) { return Results.StatusCode(500); }
            return id == 404
                ? Results.NotFound()
                : Results.Json(new { product = new { id, name = $"P{id}", category = "test", price = 10.0m }, servedBy = "fake" });
        });
        await _catalog.StartAsync();
    }

    public async Task DisposeAsync() => await _catalog.DisposeAsync();

    private WebApplicationFactory<CatalogClientOptions> Order() =>
        new WebApplicationFactory<CatalogClientOptions>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Development");
            b.UseSetting("Spring:Cloud:Config:Enabled", "false");
            // Microsoft.Extensions.ServiceDiscovery's configuration source: "catalog" → this port.
            b.UseSetting("Services:catalog:http:0", $"http://127.0.0.1:{_port}");
            b.UseSetting("Order:Catalog:MinimumThroughput", "4");
            b.UseSetting("Order:Catalog:Retries", "1");
            b.ConfigureTestServices(TestTokens.UseTestIssuer);
        });

    private static HttpClient Client(WebApplicationFactory<CatalogClientOptions> f)
    {
        var c = f.CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue("order.write order.read catalog.read"));
        return c;
    }

    [Fact]
    public async Task PlaceOrder_CatalogUp_PricesLinesByNameAndRelaysToken()
    {
        await using var f = Order();
        var c = Client(f);
        var r = await c.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = 1, quantity = 3 } } });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal(30.0m, doc.RootElement.GetProperty("total").GetDecimal());
        Assert.False(doc.RootElement.GetProperty("catalogDegraded").GetBoolean());
        Assert.StartsWith("Bearer ", _lastAuthorization, StringComparison.Ordinal);
        var id = doc.RootElement.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync($"/api/orders/{id}")).StatusCode);
    }

    [Fact]
    public async Task PlaceOrder_CatalogFailing_ServesCachedPriceMarkedDegraded()
    {
        await using var f = Order();
        var c = Client(f);
        Assert.Equal(HttpStatusCode.Created, (await c.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = 7, quantity = 1 } } })).StatusCode);
        _failing = true;
        var r = await c.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = 7, quantity = 2 } } });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.GetProperty("catalogDegraded").GetBoolean());
        Assert.Equal("fallback-cache", doc.RootElement.GetProperty("lines")[0].GetProperty("pricedBy").GetString());
    }

    [Fact]
    public async Task PlaceOrder_CatalogFailingNoCache_Returns503AndBreakerStopsCalls()
    {
        await using var f = Order();
        var c = Client(f);
        _failing = true;
        for (var i = 0; i < 6; i++)
        {
            var r = await c.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = 100 + i, quantity = 1 } } });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        }
        // Once open, the breaker answers without calling the catalog at all.
        var before = Volatile.Read(ref _calls);
        var last = await c.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = 200, quantity = 1 } } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, last.StatusCode);
        Assert.Contains("circuit open", await last.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, Volatile.Read(ref _calls));
    }

    [Fact]
    public async Task PlaceOrder_BadRequests_Return400()
    {
        await using var f = Order();
        var c = Client(f);
        Assert.Equal(HttpStatusCode.BadRequest, (await c.PostAsJsonAsync("/api/orders", new { items = Array.Empty<object>() })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await c.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = 404, quantity = 1 } } })).StatusCode);
    }

    [Fact]
    public async Task GetOrder_AnotherCustomersOrder_NotFoundAndNotListed()
    {
        await using var f = Order();
        var alice = Client(f);
        var placed = await alice.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = 1, quantity = 1 } } });
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var id = JsonDocument.Parse(await placed.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        var bob = f.CreateClient();
        bob.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue("order.read", sub: "bob"));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/orders/{id}")).StatusCode);
        Assert.Equal("[]", await bob.GetStringAsync("/api/orders"));
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/orders/{id}")).StatusCode);
    }
}
