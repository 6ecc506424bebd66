extern alias MobileBff;
extern alias WebBff;

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Infrastructure.Samples.Catalog.Products;
using Infrastructure.Samples.Order.Catalog;
using Infrastructure.Samples.Shared.Chaos;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;

namespace Infrastructure.Samples.Tests;

/// <summary>
/// The samples' protected endpoints, walked one by one in Production. The chaos switch: absent (404) unless
/// <c>Chaos:Enabled</c>, then 401 without the right <c>X-Chaos-Token</c> — a bearer token, whatever its scopes, is no
/// chaos token — and through with it. The scoped APIs: no token 401, a token without the scope 403, with it through.
/// The guard fails when a write endpoint of any sample is in neither list.
/// </summary>
public sealed class ProtectedEndpointWalkTests(ProtectedEndpointWalkTests.Fixture fixture) : IClassFixture<ProtectedEndpointWalkTests.Fixture>
{
    private const string Chaos = "chaos";
    private const string ChaosToken = "walk-chaos-token";
    private static readonly string[] Apps = ["catalog", "order", "web-bff", "mobile-bff"];

    /// <summary>(app, method, route as mapped, a path to call, what it needs: <see cref="Chaos"/> or a scope). README's "Protected endpoints" lists the same.</summary>
    private static readonly (string App, string Method, string Route, string Path, string Needs)[] Walked =
    [
        .. Apps.SelectMany(app => new[]
        {
            (app, "GET", "/chaos/", "/chaos", Chaos),
            (app, "POST", "/chaos/", "/chaos", Chaos),
            (app, "DELETE", "/chaos/", "/chaos", Chaos),
        }),
        ("order", "POST", "/api/orders/", "/api/orders", "order.write"),
        ("order", "GET", "/api/orders/", "/api/orders", "order.read"),
        ("order", "GET", "/api/orders/{id:guid}", "/api/orders/" + Guid.Empty, "order.read"),
        ("catalog", "GET", "/api/products/", "/api/products", "catalog.read"),
        ("catalog", "GET", "/api/products/{id:int}", "/api/products/1", "catalog.read"),
        ("mobile-bff", "GET", "/m/home", "/m/home", "catalog.read"),
        ("mobile-bff", "GET", "/m/orders/{id:guid}", "/m/orders/" + Guid.Empty, "catalog.read"),
    ];

    /// <summary>Write endpoints not walked, on purpose, and why.</summary>
    private static readonly (string Method, string Route)[] NotWalked =
    [
        // Web.Bff: the user's cookie session from the OpenID Connect login plus the X-CSRF header; it holds no scopes of
        // its own — the gateway and Order.Service check the scopes of the token it relays.
        ("POST", "/bff/logout"),
        ("POST", "/api/orders"),
        // Read-only health and metrics.
        .. EndpointWalk.ReadOnlyActuator,
    ];

    public static TheoryData<string, string, string, string> Rows()
    {
        var rows = new TheoryData<string, string, string, string>();
        foreach (var (app, method, _, path, needs) in Walked)
        {
            rows.Add(app, method, path, needs);
        }
        return rows;
    }

    public static TheoryData<string> AppNames() => [.. Apps];

    // The audience each sample requires (AddScopeAuthorization): its API resource's name.
    private static readonly Dictionary<string, string> AudienceOf = new(StringComparer.Ordinal)
    {
        ["catalog"] = "catalog", ["order"] = "orders", ["mobile-bff"] = "gateway",
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Production_Endpoint_RefusedWithoutItsCredential_ThroughWithIt(string app, string method, string path, string needs)
    {
        var plain = fixture.Production(app);
        if (needs == Chaos)
        {
            // Not enabled: the switch does not exist, whatever the caller holds.
            Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(plain, method, path));
            Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(plain, method, path, chaosToken: ChaosToken));

            var enabled = fixture.ChaosEnabled(app);
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(enabled, method, path));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(enabled, method, path, bearer: TestTokens.Issue("catalog.read order.read order.write")));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(enabled, method, path, chaosToken: ChaosToken + "x"));
            AssertThrough(await StatusAsync(enabled, method, path, chaosToken: ChaosToken));
            return;
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(plain, method, path));
        var others = string.Join(' ', new[] { "catalog.read", "order.read", "order.write" }.Where(s => s != needs));
        // A token Auth.Server issues for the other scopes carries this API's audience only when this API's resource holds
        // one of them: then the scope check refuses it (403); otherwise the audience check already did (401).
        var expected = TestTokens.AudiencesOf(others).Contains(AudienceOf[app]) ? HttpStatusCode.Forbidden : HttpStatusCode.Unauthorized;
        Assert.Equal(expected, await StatusAsync(plain, method, path, bearer: TestTokens.Issue(others)));
        AssertThrough(await StatusAsync(plain, method, path, bearer: TestTokens.Issue(needs)));
    }

    [Theory]
    [MemberData(nameof(AppNames))]
    public void EveryWriteEndpoint_IsWalkedOrExemptOnPurpose(string app)
    {
        // With the switch enabled every sample maps all it can.
        var problem = EndpointWalk.Unlisted(fixture.ChaosEnabledServices(app), Walked.Where(w => w.App == app).Select(w => (w.Method, w.Route)), NotWalked);
        Assert.True(problem is null, problem);
    }

    private static void AssertThrough(HttpStatusCode status)
    {
        Assert.NotEqual(HttpStatusCode.Unauthorized, status);
        Assert.NotEqual(HttpStatusCode.Forbidden, status);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string method, string path, string? bearer = null, string? chaosToken = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT")
        {
            // For the switch, settings that change nothing a later row would notice.
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        if (chaosToken is not null)
        {
            request.Headers.Add(ChaosExtensions.TokenHeader, chaosToken);
        }
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Each sample twice in Production: as deployed (no chaos switch), and with the switch enabled behind a token.</summary>
    public sealed class Fixture : IAsyncDisposable, IAsyncLifetime
    {
        private readonly Dictionary<string, Host> _plain = [];
        private readonly Dictionary<string, Host> _chaos = [];

        public Task InitializeAsync()
        {
            foreach (var app in Apps)
            {
                _plain[app] = Start(app, []);
                _chaos[app] = Start(app, new() { ["Chaos:Enabled"] = "true", ["Chaos:Token"] = ChaosToken });
            }
            return Task.CompletedTask;
        }

        public HttpClient Production(string app) => _plain[app].Client;

        public HttpClient ChaosEnabled(string app) => _chaos[app].Client;

        public IServiceProvider ChaosEnabledServices(string app) => _chaos[app].Services;

        async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

        public async ValueTask DisposeAsync()
        {
            foreach (var host in _plain.Values.Concat(_chaos.Values))
            {
                host.Client.Dispose();
                // The factory WithWebHostBuilder came from: disposing it disposes the configured one it made.
                await host.Factory.DisposeAsync();
            }
        }

        private static Host Start(string app, Dictionary<string, string?> settings) => app switch
        {
            "catalog" => Start(new WebApplicationFactory<CatalogOptions>(), settings),
            "order" => Start(new WebApplicationFactory<CatalogClientOptions>(), settings),
            "web-bff" => Start(new WebApplicationFactory<WebBff::Program>(), settings),
            _ => Start(new WebApplicationFactory<MobileBff::Program>(), settings),
        };

        private static Host Start<T>(WebApplicationFactory<T> factory, Dictionary<string, string?> settings)
            where T : class
        {
            var f = factory.WithWebHostBuilder(b =>
            {
                b.UseEnvironment("Production");
                b.UseSetting("Spring:Cloud:Config:Enabled", "false");
                // Nothing listens there: a BFF call that got past authorization fails fast instead of reaching a gateway of another test.
                b.UseSetting("Gateway:Url", "http://127.0.0.1:9");
                foreach (var (k, v) in settings)
                {
                    b.UseSetting(k, v);
                }
                b.ConfigureTestServices(TestTokens.UseTestIssuer);
            });
            return new Host(factory, f.CreateClient(), f.Services);
        }

        private sealed record Host(IAsyncDisposable Factory, HttpClient Client, IServiceProvider Services);
    }
}
