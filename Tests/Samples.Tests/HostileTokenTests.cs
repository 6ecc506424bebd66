using System.Net;
using Infrastructure.Samples.Catalog.Products;
using Infrastructure.Samples.Order.Catalog;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Infrastructure.Samples.Tests;

/// <summary>A fake Auth.Server and the two resource servers pointed at it through <c>Auth:Authority</c>, as the lab runs them (no test-only key wiring).</summary>
public sealed class SampleServersFixture : IAsyncLifetime
{
    internal FakeAuthority Authority { get; private set; } = null!;
    internal WebApplicationFactory<CatalogOptions> Catalog { get; private set; } = null!;
    internal WebApplicationFactory<CatalogClientOptions> Order { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Authority = await FakeAuthority.StartAsync();
        Catalog = new WebApplicationFactory<CatalogOptions>().WithWebHostBuilder(Configure);
        Order = new WebApplicationFactory<CatalogClientOptions>().WithWebHostBuilder(Configure);
    }

    private void Configure(IWebHostBuilder b)
    {
        b.UseEnvironment("Production");
        b.UseSetting("Spring:Cloud:Config:Enabled", "false");
        b.UseSetting("Eureka:Client:Enabled", "false");
        b.UseSetting("Auth:Authority", Authority.Issuer);
    }

    public async Task DisposeAsync()
    {
        await Catalog.DisposeAsync();
        await Order.DisposeAsync();
        await Authority.DisposeAsync();
    }
}

/// <summary>
/// Tokens Catalog.Service and Order.Service must refuse: 401, or 403 with <c>insufficient_scope</c> for a valid token
/// lacking the scope; never 200, never 500. Each server checks its own API resource name as the audience.
/// </summary>
public sealed class HostileTokenTests(SampleServersFixture fixture) : IClassFixture<SampleServersFixture>
{
    // server → (audience = its API resource at Auth.Server, scope its endpoint needs, method and path)
    private static readonly Dictionary<string, (string Audience, string Scope, HttpMethod Method, string Path)> Servers = new()
    {
        ["catalog"] = ("catalog", "catalog.read", HttpMethod.Get, "/api/products"),
        ["order"] = ("orders", "order.read", HttpMethod.Get, "/api/orders"),
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var server in Servers.Keys)
        {
            foreach (var name in HostileTokens.Names)
            {
                data.Add(server, name);
            }
        }
        return data;
    }

    private async Task<HttpResponseMessage> SendAsync(string server, string? token, string? query = null)
    {
        var (_, _, method, path) = Servers[server];
        using var client = server == "catalog" ? fixture.Catalog.CreateClient() : fixture.Order.CreateClient();
        using var request = new HttpRequestMessage(method, path + query);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }
        return await client.SendAsync(request);
    }

    [Theory]
    [InlineData("catalog")]
    [InlineData("order")]
    public async Task ValidToken_200(string server)
    {
        var (audience, scope, _, _) = Servers[server];
        using var r = await SendAsync(server, fixture.Authority.Token("openid " + scope, audience));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task HostileToken_Refused(string server, string name)
    {
        var (audience, scope, _, _) = Servers[server];
        var token = HostileTokens.Create(name, fixture.Authority, audience, scope);

        using var r = await SendAsync(server, token);

        if (name == "missing-scope")
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Contains("error=\"insufficient_scope\"", r.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("Bearer", r.Headers.WwwAuthenticate.First().Scheme);
        }
    }

    [Theory]
    [InlineData("catalog")]
    [InlineData("order")]
    public async Task ValidTokenInQueryString_NotABearerToken(string server)
    {
        var (audience, scope, _, _) = Servers[server];
        using var r = await SendAsync(server, token: null, query: "?access_token=" + fixture.Authority.Token(scope, audience));
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
    }

    [Fact]
    public async Task TokenForTheOtherService_401()
    {
        // A genuine order token (aud "orders", scope order.read) at the catalog, and a catalog token at the order service.
        using (var atCatalog = await SendAsync("catalog", fixture.Authority.Token("catalog.read order.read", "orders")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, atCatalog.StatusCode);
        }
        using var atOrder = await SendAsync("order", fixture.Authority.Token("catalog.read order.read", "catalog"));
        Assert.Equal(HttpStatusCode.Unauthorized, atOrder.StatusCode);
    }
}
