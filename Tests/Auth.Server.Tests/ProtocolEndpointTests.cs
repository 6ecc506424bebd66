using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Infrastructure.Auth.Server.Tests;

public sealed class ProtocolEndpointTests : IClassFixture<ProtocolEndpointTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

        public AuthServerFactory Factory { get; }

        public Fixture() => Factory = new AuthServerFactory(configure: b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Time)));

        public void Dispose() => Factory.Dispose();
    }

    private readonly Fixture _fixture;
    private readonly HttpClient _http;

    public ProtocolEndpointTests(Fixture fixture)
    {
        _fixture = fixture;
        _http = fixture.Factory.CreateClient();
    }

    private async Task<JsonElement> PasswordTokensAsync(string scope = "openid profile offline_access catalog.read")
    {
        var (r, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = scope });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return body;
    }

    private async Task<(HttpResponseMessage, JsonElement)> IntrospectAsync(string token, string api = "catalog", string secret = "catalog-secret") =>
        await Protocol.PostFormAsync(_http, "/connect/introspect", new() { ["token"] = token }, Protocol.Basic(api, secret));

    [Fact]
    public async Task UserInfo_NoToken_401BearerChallenge()
    {
        var r = await _http.GetAsync("/connect/userinfo");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("Bearer", r.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task UserInfo_TokenWithoutOpenId_403InsufficientScope()
    {
        var token = (await PasswordTokensAsync("catalog.read")).GetProperty("access_token").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new("Bearer", token);
        var r = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains("insufficient_scope", r.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserInfo_ProfileScope_ReturnsProfileButNotEmail()
    {
        var token = (await PasswordTokensAsync("openid profile")).GetProperty("access_token").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new("Bearer", token);
        var body = JsonDocument.Parse(await (await _http.SendAsync(request)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("1", body.GetProperty("sub").GetString());
        Assert.Equal("Alice", body.GetProperty("given_name").GetString());
        Assert.False(body.TryGetProperty("email", out _));
    }

    [Fact]
    public async Task Introspect_JwtForThisApi_ActiveWithClaims()
    {
        var token = await Protocol.ClientCredentialsTokenAsync(_http, "catalog.read order.write");
        var (r, body) = await IntrospectAsync(token);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(body.GetProperty("active").GetBoolean());
        Assert.Equal("lab-client", body.GetProperty("client_id").GetString());
        Assert.Equal("catalog.read", body.GetProperty("scope").GetString());
        Assert.True(body.TryGetProperty("exp", out _));
        Assert.Equal("http://localhost", body.GetProperty("iss").GetString());
    }

    [Fact]
    public async Task Introspect_TokenForOtherApi_Inactive()
    {
        var token = await Protocol.ClientCredentialsTokenAsync(_http, "gateway.admin");
        var (_, body) = await IntrospectAsync(token, "orders", "orders-secret");
        Assert.False(body.GetProperty("active").GetBoolean());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln")]
    [InlineData("aaaa.bbbb.cccc")]
    [InlineData("eyJhbGciOiJSUzI1NiIsImtpZCI6Ing.e30.")]
    [InlineData("...")]
    public async Task Introspect_UnknownToken_Inactive(string token)
    {
        var (r, body) = await IntrospectAsync(token);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.False(body.GetProperty("active").GetBoolean());
        Assert.Single(body.EnumerateObject());
    }

    [Fact]
    public async Task Introspect_ExpiredToken_Inactive()
    {
        using var factory = new AuthServerFactory(configure: b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(new FakeTimeProvider(DateTimeOffset.UtcNow))));
        var http = factory.CreateClient();
        var token = await Protocol.ClientCredentialsTokenAsync(http);
        var time = (FakeTimeProvider)factory.Services.GetRequiredService<TimeProvider>();
        time.Advance(TimeSpan.FromSeconds(3600 + 60));
        var (_, body) = await Protocol.PostFormAsync(http, "/connect/introspect", new() { ["token"] = token }, Protocol.Basic("catalog", "catalog-secret"));
        Assert.False(body.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Introspect_WrongApiSecret_401()
    {
        var (r, body) = await IntrospectAsync("x", "catalog", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Introspect_ClientCredentialsInsteadOfApi_401()
    {
        var (r, _) = await IntrospectAsync("x", "lab-client", "lab-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
    }

    [Fact]
    public async Task Revocation_RefreshToken_RevokedAndUnusable()
    {
        var rt = (await PasswordTokensAsync()).GetProperty("refresh_token").GetString()!;
        var (r, _) = await Protocol.PostFormAsync(_http, "/connect/revocation", new() { ["token"] = rt, ["token_type_hint"] = "refresh_token" }, Protocol.Basic("lab-client", "lab-secret"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var (r2, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = rt });
        Assert.Equal(HttpStatusCode.BadRequest, r2.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Revocation_ByOtherClient_IgnoredTokenStillWorks()
    {
        var rt = (await PasswordTokensAsync()).GetProperty("refresh_token").GetString()!;
        var (r, _) = await Protocol.PostFormAsync(_http, "/connect/revocation", new() { ["token"] = rt }, Protocol.Basic("auth-admin", "auth-admin-secret"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var (r2, _) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = rt });
        Assert.Equal(HttpStatusCode.OK, r2.StatusCode);
    }

    [Fact]
    public async Task Revocation_UnknownTokenTypeHint_UnsupportedTokenType()
    {
        var (r, body) = await Protocol.PostFormAsync(_http, "/connect/revocation", new() { ["token"] = "x", ["token_type_hint"] = "id_token" }, Protocol.Basic("lab-client", "lab-secret"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("unsupported_token_type", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Revocation_UnknownToken_200()
    {
        var (r, _) = await Protocol.PostFormAsync(_http, "/connect/revocation", new() { ["token"] = "never-issued" }, Protocol.Basic("lab-client", "lab-secret"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    private async Task<(HttpClient Browser, string IdToken)> SignedInWebBffAsync()
    {
        var browser = _fixture.Factory.Browser();
        var flow = new BrowserFlow(browser);
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var code = BrowserFlow.Query(await flow.RunAsync(BrowserFlow.AuthorizeUrl("web-bff", "http://127.0.0.1:5100/signin-oidc", "openid", challenge)))["code"];
        var (_, body) = await Protocol.TokenAsync(_http, "web-bff", "web-bff-secret", new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "http://127.0.0.1:5100/signin-oidc", ["code_verifier"] = verifier,
        });
        return (browser, body.GetProperty("id_token").GetString()!);
    }

    [Fact]
    public async Task EndSession_ValidHintAndRegisteredUri_SignsOutAndRedirectsWithState()
    {
        var (browser, idToken) = await SignedInWebBffAsync();
        var r = await browser.GetAsync("/connect/endsession?id_token_hint=" + idToken + "&post_logout_redirect_uri=" + Uri.EscapeDataString("http://127.0.0.1:5100/signout-callback-oidc") + "&state=bye");
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.Equal("http://127.0.0.1:5100/signout-callback-oidc?state=bye", r.Headers.Location!.ToString());
        // The session cookie is gone: authorize asks for login again.
        var again = await browser.GetAsync(BrowserFlow.AuthorizeUrl("web-bff", "http://127.0.0.1:5100/signin-oidc", "openid", BrowserFlow.NewPkce().Challenge));
        Assert.StartsWith("/account/login", again.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndSession_UnregisteredPostLogoutUri_ErrorNoRedirect()
    {
        var (browser, idToken) = await SignedInWebBffAsync();
        var r = await browser.GetAsync("/connect/endsession?id_token_hint=" + idToken + "&post_logout_redirect_uri=" + Uri.EscapeDataString("http://evil.example/"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Null(r.Headers.Location);
    }

    [Fact]
    public async Task EndSession_NoHintWhileSignedIn_AsksForConfirmation()
    {
        var (browser, _) = await SignedInWebBffAsync();
        var r = await browser.GetAsync("/connect/endsession");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("Sign out?", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var stillSignedIn = await browser.GetAsync(BrowserFlow.AuthorizeUrl("web-bff", "http://127.0.0.1:5100/signin-oidc", "openid", BrowserFlow.NewPkce().Challenge));
        Assert.StartsWith("http://127.0.0.1:5100/signin-oidc?code=", stillSignedIn.Headers.Location!.ToString(), StringComparison.Ordinal);
    }
}
