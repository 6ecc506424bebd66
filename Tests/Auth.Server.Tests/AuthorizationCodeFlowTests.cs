using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Auth.Server.Tests;

public sealed class AuthorizationCodeFlowTests : IClassFixture<AuthorizationCodeFlowTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public AuthServerFactory Factory { get; } = new(new()
        {
            ["Auth:Clients:10:ClientId"] = "no-pkce",
            ["Auth:Clients:10:ClientSecrets:0:Value"] = "no-pkce-secret",
            ["Auth:Clients:10:AllowedGrantTypes:0"] = "authorization_code",
            ["Auth:Clients:10:RequirePkce"] = "false",
            ["Auth:Clients:10:RedirectUris:0"] = "http://127.0.0.1:5300/cb",
            ["Auth:Clients:10:AllowedScopes:0"] = "openid",
            ["Auth:Clients:11:ClientId"] = "web-bff-ref",
            ["Auth:Clients:11:ClientSecrets:0:Value"] = "web-bff-ref-secret",
            ["Auth:Clients:11:AllowedGrantTypes:0"] = "authorization_code",
            ["Auth:Clients:11:AccessTokenType"] = "Reference",
            ["Auth:Clients:11:AllowOfflineAccess"] = "true",
            ["Auth:Clients:11:RedirectUris:0"] = "http://127.0.0.1:5100/signin-oidc",
            ["Auth:Clients:11:AllowedScopes:0"] = "openid",
            ["Auth:Clients:11:AllowedScopes:1"] = "catalog.read",
        });

        public void Dispose() => Factory.Dispose();
    }

    private const string WebRedirect = "http://127.0.0.1:5100/signin-oidc";
    private const string MobileRedirect = "http://127.0.0.1:5200/callback";
    private readonly AuthServerFactory _factory;

    public AuthorizationCodeFlowTests(Fixture fixture) => _factory = fixture.Factory;

    private async Task<(System.Text.Json.JsonElement Body, HttpResponseMessage Response)> RedeemAsync(string code, string verifier, string clientId = "web-bff", string? secret = "web-bff-secret", string redirect = WebRedirect)
    {
        var (r, body) = await Protocol.TokenAsync(_factory.CreateClient(), clientId, secret, new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirect, ["code_verifier"] = verifier,
        });
        return (body, r);
    }

    [Fact]
    public async Task CodeFlow_LoginAndPkce_IssuesValidatedTokensWithNonceAndHashes()
    {
        var flow = new BrowserFlow(_factory.Browser());
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var callback = await flow.RunAsync(BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid profile email offline_access catalog.read", challenge));
        Assert.StartsWith(WebRedirect + "?", callback.ToString(), StringComparison.Ordinal);
        var query = BrowserFlow.Query(callback);
        Assert.Equal("st-123", query["state"]);
        Assert.Equal("http://localhost", query["iss"]);
        var code = query["code"];

        var (body, r) = await RedeemAsync(code, verifier);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var accessToken = body.GetProperty("access_token").GetString()!;
        var idToken = body.GetProperty("id_token").GetString()!;
        Assert.False(string.IsNullOrEmpty(body.GetProperty("refresh_token").GetString()));

        var http = _factory.CreateClient();
        var at = await Protocol.ValidateLikeResourceServerAsync(http, accessToken, "catalog");
        Assert.True(at.IsValid, at.Exception?.Message);
        Assert.Equal("1", Protocol.Read(accessToken).Subject);

        var id = await Protocol.ValidateLikeResourceServerAsync(http, idToken, "web-bff", tokenType: "JWT");
        Assert.True(id.IsValid, id.Exception?.Message);
        var jwt = Protocol.Read(idToken);
        Assert.Equal("n-456", jwt.GetClaim("nonce").Value);
        Assert.Equal(LeftHalf(accessToken), jwt.GetClaim("at_hash").Value);
        Assert.Equal(LeftHalf(code), jwt.GetClaim("c_hash").Value);
        Assert.True(jwt.TryGetClaim("auth_time", out _));

        // userinfo releases profile and email claims for the granted identity scopes.
        using var ui = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        ui.Headers.Authorization = new("Bearer", accessToken);
        var uiResponse = await http.SendAsync(ui);
        var claims = System.Text.Json.JsonDocument.Parse(await uiResponse.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("1", claims.GetProperty("sub").GetString());
        Assert.Equal("Alice Smith", claims.GetProperty("name").GetString());
        Assert.Equal("alice@example.com", claims.GetProperty("email").GetString());
    }

    private static string LeftHalf(string value)
    {
        var hash = SHA256.HashData(Encoding.ASCII.GetBytes(value));
        return Base64UrlEncoder.Encode(hash[..16]);
    }

    [Theory]
    [InlineData("web-bff")]     // JWT access tokens
    [InlineData("web-bff-ref")] // reference access tokens
    public async Task CodeFlow_ReplayedCode_FailsAndRevokesWhatTheFirstUseIssued(string clientId)
    {
        var flow = new BrowserFlow(_factory.Browser());
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var code = BrowserFlow.Query(await flow.RunAsync(BrowserFlow.AuthorizeUrl(clientId, WebRedirect, "openid offline_access catalog.read", challenge)))["code"];
        var (first, r1) = await RedeemAsync(code, verifier, clientId, clientId + "-secret");
        Assert.Equal(HttpStatusCode.OK, r1.StatusCode);
        var accessToken = first.GetProperty("access_token").GetString()!;
        var refreshToken = first.GetProperty("refresh_token").GetString()!;
        Assert.True((await IntrospectAsync(accessToken)).GetProperty("active").GetBoolean());

        var (replay, r2) = await RedeemAsync(code, verifier, clientId, clientId + "-secret");
        Assert.Equal(HttpStatusCode.BadRequest, r2.StatusCode);
        Assert.Equal("invalid_grant", replay.GetProperty("error").GetString());

        // RFC 6749 §4.1.2: the tokens issued from the code are revoked — the access token and the refresh token.
        Assert.False((await IntrospectAsync(accessToken)).GetProperty("active").GetBoolean());
        using (var userinfo = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo"))
        {
            userinfo.Headers.Authorization = new("Bearer", accessToken);
            Assert.Equal(HttpStatusCode.Unauthorized, (await _factory.CreateClient().SendAsync(userinfo)).StatusCode);
        }
        var (r3, refreshed) = await Protocol.TokenAsync(_factory.CreateClient(), clientId, clientId + "-secret", new()
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken,
        });
        Assert.Equal(HttpStatusCode.BadRequest, r3.StatusCode);
        Assert.Equal("invalid_grant", refreshed.GetProperty("error").GetString());
    }

    [Fact]
    public async Task CodeFlow_TokensOfAnotherCode_NotRevokedByAReplay()
    {
        var flow = new BrowserFlow(_factory.Browser());
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var other = BrowserFlow.Query(await flow.RunAsync(BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid catalog.read", challenge)))["code"];
        var (kept, _) = await RedeemAsync(other, verifier);
        var code = BrowserFlow.Query(await flow.RunAsync(BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid catalog.read", challenge)))["code"];
        await RedeemAsync(code, verifier);
        var (_, replayed) = await RedeemAsync(code, verifier);
        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        // Only the replayed code's family goes: the same user's other sign-in keeps its token.
        Assert.True((await IntrospectAsync(kept.GetProperty("access_token").GetString()!)).GetProperty("active").GetBoolean());
    }

    private async Task<System.Text.Json.JsonElement> IntrospectAsync(string token)
    {
        var (r, body) = await Protocol.PostFormAsync(_factory.CreateClient(), "/connect/introspect", new() { ["token"] = token }, Protocol.Basic("catalog", "catalog-secret"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return body;
    }

    [Fact]
    public async Task CodeFlow_WrongVerifier_InvalidGrant()
    {
        var flow = new BrowserFlow(_factory.Browser());
        var (_, challenge) = BrowserFlow.NewPkce();
        var code = BrowserFlow.Query(await flow.RunAsync(BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid", challenge)))["code"];
        var (body, r) = await RedeemAsync(code, BrowserFlow.NewPkce().Verifier);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task CodeFlow_RedirectUriMismatchAtToken_InvalidGrant()
    {
        var flow = new BrowserFlow(_factory.Browser());
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var code = BrowserFlow.Query(await flow.RunAsync(BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid", challenge)))["code"];
        var (body, r) = await RedeemAsync(code, verifier, redirect: WebRedirect + "/other");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Authorize_MissingPkce_ErrorToRedirectUriWithState()
    {
        var r = await _factory.Browser().GetAsync(BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid", challenge: null));
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        var q = BrowserFlow.Query(r.Headers.Location!);
        Assert.Equal("invalid_request", q["error"]);
        Assert.Equal("st-123", q["state"]);
    }

    [Fact]
    public async Task Authorize_PlainPkce_Rejected()
    {
        var r = await _factory.Browser().GetAsync(BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid", challenge: null) + "&code_challenge=" + new string('a', 43) + "&code_challenge_method=plain");
        Assert.Equal("invalid_request", BrowserFlow.Query(r.Headers.Location!)["error"]);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5100/signin-oidc/")]
    [InlineData("http://127.0.0.1:5100/signin-oidc?x=1")]
    [InlineData("http://evil.example/signin-oidc")]
    public async Task Authorize_UnregisteredRedirectUri_ErrorPageNoRedirect(string redirect)
    {
        var r = await _factory.Browser().GetAsync(BrowserFlow.AuthorizeUrl("web-bff", redirect, "openid", BrowserFlow.NewPkce().Challenge));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Null(r.Headers.Location);
    }

    [Fact]
    public async Task Authorize_UnknownScope_InvalidScopeRedirect()
    {
        var r = await _factory.Browser().GetAsync(BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid gateway.admin", BrowserFlow.NewPkce().Challenge));
        Assert.Equal("invalid_scope", BrowserFlow.Query(r.Headers.Location!)["error"]);
    }

    [Fact]
    public async Task Authorize_UnsupportedResponseType_ErrorRedirect()
    {
        var url = BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid", BrowserFlow.NewPkce().Challenge).Replace("response_type=code", "response_type=token", StringComparison.Ordinal);
        var r = await _factory.Browser().GetAsync(url);
        Assert.Equal("unsupported_response_type", BrowserFlow.Query(r.Headers.Location!)["error"]);
    }

    [Fact]
    public async Task Authorize_PromptNoneWithoutSession_LoginRequired()
    {
        var r = await _factory.Browser().GetAsync(BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid", BrowserFlow.NewPkce().Challenge, extra: "prompt=none"));
        Assert.Equal("login_required", BrowserFlow.Query(r.Headers.Location!)["error"]);
    }

    [Fact]
    public async Task PublicClient_ConsentGranted_RedeemsWithoutSecret()
    {
        var flow = new BrowserFlow(_factory.Browser());
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var callback = await flow.RunAsync(BrowserFlow.AuthorizeUrl("mobile", MobileRedirect, "openid catalog.read", challenge), username: "bob", password: "bob");
        var (body, r) = await RedeemAsync(BrowserFlow.Query(callback)["code"], verifier, "mobile", null, MobileRedirect);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("2", Protocol.Read(body.GetProperty("access_token").GetString()!).Subject);
    }

    [Fact]
    public async Task PublicClient_ConsentDenied_AccessDenied()
    {
        var flow = new BrowserFlow(_factory.Browser());
        var callback = await flow.RunAsync(BrowserFlow.AuthorizeUrl("mobile", MobileRedirect, "openid", BrowserFlow.NewPkce().Challenge), consent: "no");
        Assert.Equal("access_denied", BrowserFlow.Query(callback)["error"]);
    }

    [Fact]
    public async Task PublicClient_RememberedConsent_SecondAuthorizeSkipsConsentPage()
    {
        var browser = _factory.Browser();
        var flow = new BrowserFlow(browser);
        await flow.RunAsync(BrowserFlow.AuthorizeUrl("mobile", MobileRedirect, "openid", BrowserFlow.NewPkce().Challenge), remember: true);
        var r = await browser.GetAsync(BrowserFlow.AuthorizeUrl("mobile", MobileRedirect, "openid", BrowserFlow.NewPkce().Challenge));
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.StartsWith(MobileRedirect + "?code=", r.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublicClient_NoPkce_Rejected()
    {
        var r = await _factory.Browser().GetAsync(BrowserFlow.AuthorizeUrl("mobile", MobileRedirect, "openid", challenge: null));
        Assert.Equal("invalid_request", BrowserFlow.Query(r.Headers.Location!)["error"]);
    }

    [Fact]
    public async Task ConfidentialClient_RequirePkceFalse_WorksWithoutPkce()
    {
        var flow = new BrowserFlow(_factory.Browser());
        var code = BrowserFlow.Query(await flow.RunAsync(BrowserFlow.AuthorizeUrl("no-pkce", "http://127.0.0.1:5300/cb", "openid", challenge: null)))["code"];
        var (r, body) = await Protocol.TokenAsync(_factory.CreateClient(), "no-pkce", "no-pkce-secret", new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "http://127.0.0.1:5300/cb",
        });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(body.TryGetProperty("id_token", out _));
    }

    [Fact]
    public async Task CodeIssuedToOneClient_RedeemedByAnother_InvalidGrant()
    {
        var flow = new BrowserFlow(_factory.Browser());
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var code = BrowserFlow.Query(await flow.RunAsync(BrowserFlow.AuthorizeUrl("web-bff", WebRedirect, "openid", challenge)))["code"];
        var (r, body) = await Protocol.TokenAsync(_factory.CreateClient(), "no-pkce", "no-pkce-secret", new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = WebRedirect, ["code_verifier"] = verifier,
        });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }
}
