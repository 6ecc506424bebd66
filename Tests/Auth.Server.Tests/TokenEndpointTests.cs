using System.Net;
using System.Text.Json;

namespace Infrastructure.Auth.Server.Tests;

public sealed class TokenEndpointTests : IClassFixture<TokenEndpointTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public AuthServerFactory Factory { get; } = new(new()
        {
            // A reference-token client and a ReUse refresh client next to the lab defaults.
            ["Auth:Clients:10:ClientId"] = "ref-client",
            ["Auth:Clients:10:ClientSecrets:0:Value"] = "ref-secret",
            ["Auth:Clients:10:AllowedGrantTypes:0"] = "client_credentials",
            ["Auth:Clients:10:AllowedScopes:0"] = "catalog.read",
            ["Auth:Clients:10:AccessTokenType"] = "Reference",
            ["Auth:Clients:11:ClientId"] = "reuse-client",
            ["Auth:Clients:11:ClientSecrets:0:Value"] = "reuse-secret",
            ["Auth:Clients:11:AllowedGrantTypes:0"] = "password",
            ["Auth:Clients:11:AllowedScopes:0"] = "openid",
            ["Auth:Clients:11:AllowOfflineAccess"] = "true",
            ["Auth:Clients:11:RefreshTokenUsage"] = "ReUse",
        });

        public void Dispose() => Factory.Dispose();
    }

    private readonly HttpClient _http;

    public TokenEndpointTests(Fixture fixture) => _http = fixture.Factory.CreateClient();

    [Fact]
    public async Task ClientCredentials_BasicAuth_IssuesAtJwtWithRequiredClaims()
    {
        var (r, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "client_credentials", ["scope"] = "catalog.read order.write" });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("no-store", r.Headers.CacheControl?.ToString());
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt32());
        Assert.Equal("catalog.read order.write", body.GetProperty("scope").GetString());
        Assert.False(body.TryGetProperty("refresh_token", out _));

        var token = body.GetProperty("access_token").GetString()!;
        var validated = await Protocol.ValidateLikeResourceServerAsync(_http, token, "catalog");
        Assert.True(validated.IsValid, validated.Exception?.Message);
        var jwt = Protocol.Read(token);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal("RS256", jwt.Alg);
        Assert.Equal("lab-client", jwt.GetClaim("client_id").Value);
        Assert.Equal("catalog.read order.write", jwt.GetClaim("scope").Value);
        Assert.Equal(["catalog", "gateway", "orders"], jwt.Audiences.Order());
        foreach (var claim in new[] { "iss", "jti", "iat", "nbf", "exp" })
        {
            Assert.True(jwt.TryGetClaim(claim, out _), claim);
        }
        Assert.False(jwt.TryGetClaim("sub", out _));
    }

    [Fact]
    public async Task ClientCredentials_PostAuth_Works()
    {
        var (r, _) = await Protocol.PostFormAsync(_http, "/connect/token", new()
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "lab-client", ["client_secret"] = "lab-secret", ["scope"] = "catalog.read",
        });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task ClientCredentials_NoScope_GrantsAllAllowedApiScopes()
    {
        var (_, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "client_credentials" });
        Assert.Equal("catalog.read order.read order.write gateway.admin", body.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Token_WrongSecret_InvalidClient401WithChallenge()
    {
        var (r, body) = await Protocol.TokenAsync(_http, "lab-client", "nope", new() { ["grant_type"] = "client_credentials" });
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.Equal("Basic", r.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Token_UnknownClient_InvalidClient401()
    {
        var (r, body) = await Protocol.TokenAsync(_http, "ghost", "x", new() { ["grant_type"] = "client_credentials" });
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_BasicAndPostCredentials_InvalidRequest()
    {
        var (r, body) = await Protocol.PostFormAsync(_http, "/connect/token",
            new() { ["grant_type"] = "client_credentials", ["client_secret"] = "lab-secret" }, Protocol.Basic("lab-client", "lab-secret"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_request", body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("urn:ietf:params:oauth:grant-type:device_code", "unsupported_grant_type")]
    [InlineData("authorization_code", "unauthorized_client")]
    [InlineData("", "invalid_request")]
    public async Task Token_BadGrantType_Rfc6749Error(string grantType, string error)
    {
        var (r, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = grantType });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(error, body.GetProperty("error").GetString());
        Assert.True(body.TryGetProperty("error_description", out _));
    }

    [Theory]
    [InlineData("unknown.scope")]
    [InlineData("auth.admin")]
    [InlineData("openid")]
    public async Task ClientCredentials_DisallowedScope_InvalidScope(string scope)
    {
        var (r, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "client_credentials", ["scope"] = scope });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_scope", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_Get_NotAllowed()
    {
        var r = await _http.GetAsync("/connect/token?grant_type=client_credentials&client_id=lab-client&client_secret=lab-secret");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
    }

    [Fact]
    public async Task Token_JsonBody_InvalidRequest()
    {
        var r = await _http.PostAsync("/connect/token", new StringContent("{\"grant_type\":\"client_credentials\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_request", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Password_ValidUser_IssuesUserTokenAndRefreshToken()
    {
        var (r, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new()
        {
            ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = "openid profile catalog.read offline_access",
        });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var jwt = Protocol.Read(body.GetProperty("access_token").GetString()!);
        Assert.Equal("1", jwt.Subject);
        Assert.True(jwt.TryGetClaim("auth_time", out _));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("refresh_token").GetString()));
    }

    [Fact]
    public async Task Password_WrongPassword_InvalidGrant()
    {
        var (r, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "bob", ["password"] = "wrong" });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Refresh_OneTimeOnly_RotatesAndReuseRevokesFamily()
    {
        var (_, first) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new()
        {
            ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = "openid offline_access catalog.read",
        });
        var rt1 = first.GetProperty("refresh_token").GetString()!;
        var (r2, second) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = rt1 });
        Assert.Equal(HttpStatusCode.OK, r2.StatusCode);
        var rt2 = second.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(rt1, rt2);
        Assert.True(second.TryGetProperty("id_token", out _));

        // The rotated token is replayed: rejected, and the live rt2 dies with its family.
        var (r3, replay) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = rt1 });
        Assert.Equal(HttpStatusCode.BadRequest, r3.StatusCode);
        Assert.Equal("invalid_grant", replay.GetProperty("error").GetString());
        var (r4, _) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = rt2 });
        Assert.Equal(HttpStatusCode.BadRequest, r4.StatusCode);
    }

    [Fact]
    public async Task Refresh_OtherClient_InvalidGrant()
    {
        var (_, first) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new()
        {
            ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = "openid offline_access",
        });
        var (r, body) = await Protocol.TokenAsync(_http, "reuse-client", "reuse-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = first.GetProperty("refresh_token").GetString()! });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Refresh_WiderScope_InvalidScope()
    {
        var (_, first) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new()
        {
            ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = "openid offline_access catalog.read",
        });
        var (r, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new()
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = first.GetProperty("refresh_token").GetString()!, ["scope"] = "order.write",
        });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_scope", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Refresh_ReUse_KeepsSameToken()
    {
        var (_, first) = await Protocol.TokenAsync(_http, "reuse-client", "reuse-secret", new()
        {
            ["grant_type"] = "password", ["username"] = "bob", ["password"] = "bob", ["scope"] = "openid offline_access",
        });
        var rt = first.GetProperty("refresh_token").GetString()!;
        for (var i = 0; i < 2; i++)
        {
            var (r, body) = await Protocol.TokenAsync(_http, "reuse-client", "reuse-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = rt });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(rt, body.GetProperty("refresh_token").GetString());
        }
    }

    [Fact]
    public async Task ReferenceToken_IntrospectedActiveUntilRevoked()
    {
        var handle = await Protocol.ClientCredentialsTokenAsync(_http, "catalog.read", "ref-client", "ref-secret");
        Assert.DoesNotContain('.', handle);
        var (r, body) = await Protocol.PostFormAsync(_http, "/connect/introspect", new() { ["token"] = handle }, Protocol.Basic("catalog", "catalog-secret"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(body.GetProperty("active").GetBoolean());
        Assert.Equal("ref-client", body.GetProperty("client_id").GetString());
        Assert.Equal("catalog.read", body.GetProperty("scope").GetString());

        var (rev, _) = await Protocol.PostFormAsync(_http, "/connect/revocation", new() { ["token"] = handle, ["token_type_hint"] = "access_token" }, Protocol.Basic("ref-client", "ref-secret"));
        Assert.Equal(HttpStatusCode.OK, rev.StatusCode);
        var (_, after) = await Protocol.PostFormAsync(_http, "/connect/introspect", new() { ["token"] = handle }, Protocol.Basic("catalog", "catalog-secret"));
        Assert.False(after.GetProperty("active").GetBoolean());
    }
}
