using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Infrastructure.Gateway.Tests.Support;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Gateway.Tests.Security;

public sealed class SecurityTests : IAsyncLifetime
{
    private const string Issuer = "http://127.0.0.1:9000";
    private readonly RSA _key = RSA.Create(2048);
    private readonly RSA _otherKey = RSA.Create(2048);
    private TestBackend _backend = null!;
    private GatewayHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("a");
        var c = new RouteConfig()
            .Set("Gateway:Security:Issuer", Issuer)
            .Set("Gateway:Security:Audience", "gateway")
            .Set("Gateway:Security:SigningKeys:0", _key.ExportSubjectPublicKeyInfoPem())
            .Route("secure", _backend.Url, ["Path=/secure/**"], metadata: new() { ["required-scopes"] = "catalog.read" })
            .Route("open", _backend.Url, ["Path=/open/**"])
            .Route("per-client", _backend.Url, ["Path=/per-client/**"], ["RequestRateLimiter=1, 1, 1, principal"]);
        _host = new GatewayHost(c.Settings, environment: "Production");
        _client = _host.NewClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
        _key.Dispose();
        _otherKey.Dispose();
    }

    private string Token(string scope, RSA? key = null, string sub = "alice", string? clientId = "web-bff") =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = "gateway",
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["scope"] = scope, ["sub"] = sub, ["client_id"] = clientId! },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key ?? _key), SecurityAlgorithms.RsaSha256),
        });

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await _client.SendAsync(request);
    }

    [Fact]
    public async Task Actuator_OutsideDevelopment_RequiresAdminScope()
    {
        using (var none = await SendAsync(HttpMethod.Get, "/actuator/gateway/routes", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        }
        using (var wrongScope = await SendAsync(HttpMethod.Get, "/actuator/gateway/routes", Token("catalog.read")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrongScope.StatusCode);
        }
        using (var wrongKey = await SendAsync(HttpMethod.Get, "/actuator/gateway/routes", Token("gateway.admin", _otherKey)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        }
        using var admin = await SendAsync(HttpMethod.Get, "/actuator/gateway/routes", Token("openid gateway.admin"));
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        using var health = await SendAsync(HttpMethod.Get, "/actuator/health", null);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task RequiredScopes_Route_401Then403ThenForwardedWithConsumer()
    {
        using (var none = await SendAsync(HttpMethod.Get, "/secure/x", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        }
        using (var wrong = await SendAsync(HttpMethod.Get, "/secure/x", Token("orders.read")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        }
        var token = Token("catalog.read orders.read");
        using var ok = await SendAsync(HttpMethod.Get, "/secure/x", token);
        var echo = await EchoResponse.ReadAsync(ok);
        Assert.Equal("web-bff", echo.Header("X-Consumer-Id"));
        Assert.Equal("Bearer " + token, echo.Header("Authorization"));
    }

    [Fact]
    public async Task OpenRoute_SpoofedConsumerHeader_Removed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/open/x");
        request.Headers.Add("X-Consumer-Id", "admin");
        using var r = await _client.SendAsync(request);
        Assert.Null((await EchoResponse.ReadAsync(r)).Header("X-Consumer-Id"));
    }

    [Fact]
    public async Task OpenRoute_OptionalValidToken_IdentifiesTheCallerForPrincipalRateLimits()
    {
        // No token: the principal key is empty, refused (Spring's denyEmptyKey).
        using (var anonymous = await SendAsync(HttpMethod.Get, "/per-client/x", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        }
        // A valid token on a route that does not require one still names the caller: one bucket per client.
        using (var first = await SendAsync(HttpMethod.Get, "/per-client/x", Token("catalog.read", clientId: "client-a")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using (var second = await SendAsync(HttpMethod.Get, "/per-client/x", Token("catalog.read", clientId: "client-a")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        }
        using (var other = await SendAsync(HttpMethod.Get, "/per-client/x", Token("catalog.read", clientId: "client-b")))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }
        // An invalid token is not an identity.
        using var forged = await SendAsync(HttpMethod.Get, "/per-client/x", Token("catalog.read", _otherKey, clientId: "client-c"));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
    }
}
