using System.Net;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests.Security;

/// <summary>One backend and two gateways guarding it with <c>required-scopes</c>: one trusting keys from its configuration, one an authority's JWKS.</summary>
public sealed class HostileTokenFixture : IAsyncLifetime
{
    internal FakeAuthority Authority { get; private set; } = null!;
    internal TestBackend Backend { get; private set; } = null!;
    internal Dictionary<string, GatewayHost> Gateways { get; } = [];
    internal Dictionary<string, HttpClient> Clients { get; } = [];

    public async Task InitializeAsync()
    {
        Authority = await FakeAuthority.StartAsync();
        Backend = await TestBackend.StartAsync("a");
        // No Audience set anywhere: the default (the gateway's API resource name) is what is under test.
        Start("keys", Route()
            .Set("Gateway:Security:Issuer", Authority.Issuer)
            .Set("Gateway:Security:SigningKeys:0", Authority.PublicKeyPem));
        Start("authority", Route().Set("Gateway:Security:Authority", Authority.Issuer));
    }

    internal RouteConfig Route() =>
        new RouteConfig().Route("secure", Backend.Url, ["Path=/secure/**"], metadata: new() { ["required-scopes"] = "catalog.read" });

    private void Start(string mode, RouteConfig config)
    {
        var host = new GatewayHost(config.Settings, environment: "Production");
        Gateways[mode] = host;
        Clients[mode] = host.NewClient();
    }

    public async Task DisposeAsync()
    {
        foreach (var (mode, host) in Gateways)
        {
            Clients[mode].Dispose();
            await host.DisposeAsync();
        }
        await Backend.DisposeAsync();
        await Authority.DisposeAsync();
    }
}

/// <summary>
/// Tokens the gateway must refuse on a <c>required-scopes</c> route (401, or 403 with <c>insufficient_scope</c>), in both
/// key modes: never forwarded, never a 500.
/// </summary>
public sealed class HostileTokenTests(HostileTokenFixture fixture) : IClassFixture<HostileTokenFixture>
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var mode in new[] { "keys", "authority" })
        {
            foreach (var name in HostileTokens.Names)
            {
                data.Add(mode, name);
            }
        }
        return data;
    }

    private async Task<HttpResponseMessage> SendAsync(string mode, string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            // Without validation: garbage and empty tokens go out exactly as given.
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }
        return await fixture.Clients[mode].SendAsync(request);
    }

    [Theory]
    [InlineData("keys")]
    [InlineData("authority")]
    public async Task ValidToken_Forwarded(string mode)
    {
        using var r = await SendAsync(mode, "/secure/x", fixture.Authority.Token("openid catalog.read", "gateway"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task HostileToken_RefusedAndNotForwarded(string mode, string name)
    {
        var token = HostileTokens.Create(name, fixture.Authority, audience: "gateway", scope: "catalog.read");
        // The token has the shape its name claims (a library could have "helpfully" signed it).
        if (name == "alg-none")
        {
            Assert.Equal("none", HostileTokens.Header(token).GetProperty("alg").GetString());
        }
        else if (name.StartsWith("hs256", StringComparison.Ordinal))
        {
            Assert.Equal("HS256", HostileTokens.Header(token).GetProperty("alg").GetString());
        }
        var before = fixture.Backend.Requests;

        using var r = await SendAsync(mode, "/secure/x", token);

        if (name == "missing-scope")
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Contains("error=\"insufficient_scope\"", r.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal("Bearer", r.Headers.WwwAuthenticate.Single().Scheme);
        }
        Assert.Equal(before, fixture.Backend.Requests);
    }

    [Theory]
    [InlineData("keys")]
    [InlineData("authority")]
    public async Task ValidTokenInQueryString_NotABearerToken(string mode)
    {
        var token = fixture.Authority.Token("catalog.read", "gateway");
        var before = fixture.Backend.Requests;

        using var r = await SendAsync(mode, "/secure/x?access_token=" + token, token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal(before, fixture.Backend.Requests);
    }

    [Fact]
    public async Task EmptyAudienceSetting_TurnsTheAudienceCheckOff()
    {
        var c = fixture.Route()
            .Set("Gateway:Security:Issuer", fixture.Authority.Issuer)
            .Set("Gateway:Security:SigningKeys:0", fixture.Authority.PublicKeyPem)
            .Set("Gateway:Security:Audience", "");
        await using var host = new GatewayHost(c.Settings, environment: "Production");
        using var client = host.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/secure/x");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + fixture.Authority.Token("catalog.read", "auth"));

        using var r = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }
}
