using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>Each test attacks one rule of the OAuth 2.0 Security BCP as the server applies it.</summary>
public sealed class SecurityTests : IClassFixture<SecurityTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public AuthServerFactory Factory { get; } = new(new()
        {
            ["Auth:Lockout:MaxFailedAccessAttempts"] = "3",
            ["Auth:ClientAuthenticationThrottle:PermitLimit"] = "5",
            ["Auth:ClientAuthenticationThrottle:Window"] = "00:10:00",
            ["Auth:Users:10:SubjectId"] = "99",
            ["Auth:Users:10:Username"] = "mallory-target",
            ["Auth:Users:10:Password"] = "correct-horse",
        });

        public void Dispose() => Factory.Dispose();
    }

    private readonly AuthServerFactory _factory;
    private readonly HttpClient _http;

    public SecurityTests(Fixture fixture)
    {
        _factory = fixture.Factory;
        _http = fixture.Factory.CreateClient();
    }

    private async Task<HttpStatusCode> UserInfoStatusAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new("Bearer", token);
        return (await _http.SendAsync(request)).StatusCode;
    }

    private async Task<string> AliceTokenAsync()
    {
        var (_, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = "openid" });
        return body.GetProperty("access_token").GetString()!;
    }

    [Fact]
    public async Task UserInfo_AlgNoneToken_Rejected()
    {
        var real = Protocol.Read(await AliceTokenAsync());
        var payload = real.Claims.GroupBy(c => c.Type).ToDictionary(g => g.Key, g => (object)g.First().Value);
        payload["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        // No signing credentials: the library writes an unsecured JWT ("alg":"none").
        var unsigned = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor { Claims = payload, TokenType = "at+jwt" });
        Assert.Equal("none", new JsonWebToken(unsigned).Alg);
        Assert.Equal(HttpStatusCode.Unauthorized, await UserInfoStatusAsync(unsigned));
    }

    [Fact]
    public async Task UserInfo_TokenSignedByUnknownKid_Rejected()
    {
        var real = Protocol.Read(await AliceTokenAsync());
        var payload = real.Claims.GroupBy(c => c.Type).ToDictionary(g => g.Key, g => (object)g.First().Value);
        using var rsa = RSA.Create(2048);
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = payload,
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = "attacker-key" }, SecurityAlgorithms.RsaSha256),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, await UserInfoStatusAsync(forged));
    }

    [Fact]
    public async Task UserInfo_ForgedWithOurKidButOtherKey_Rejected()
    {
        var real = Protocol.Read(await AliceTokenAsync());
        var payload = real.Claims.GroupBy(c => c.Type).ToDictionary(g => g.Key, g => (object)g.First().Value);
        using var rsa = RSA.Create(2048);
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = payload,
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = real.Kid }, SecurityAlgorithms.RsaSha256),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, await UserInfoStatusAsync(forged));
    }

    [Fact]
    public async Task UserInfo_IdTokenAsAccessToken_RejectedByType()
    {
        var browser = _factory.Browser();
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var code = BrowserFlow.Query(await new BrowserFlow(browser).RunAsync(BrowserFlow.AuthorizeUrl("web-bff", "http://127.0.0.1:5100/signin-oidc", "openid", challenge)))["code"];
        var (_, body) = await Protocol.TokenAsync(_http, "web-bff", "web-bff-secret", new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "http://127.0.0.1:5100/signin-oidc", ["code_verifier"] = verifier,
        });
        Assert.Equal(HttpStatusCode.Unauthorized, await UserInfoStatusAsync(body.GetProperty("id_token").GetString()!));
    }

    [Fact]
    public async Task Login_PostWithoutAntiforgeryToken_Rejected()
    {
        var browser = _factory.Browser();
        var r = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "alice", ["password"] = "alice", ["returnUrl"] = "/",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.DoesNotContain(r.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("idsrv=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Login_AntiforgeryTokenFromOtherBrowser_Rejected()
    {
        var attacker = _factory.Browser();
        var html = await (await attacker.GetAsync("/account/login")).Content.ReadAsStringAsync();
        var form = BrowserFlow.ReadForm(html);
        form["username"] = "alice";
        form["password"] = "alice";
        var victim = _factory.Browser();
        var r = await victim.PostAsync("/account/login", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    [Fact]
    public async Task Login_OffsiteReturnUrl_RedirectsHomeInstead()
    {
        var browser = _factory.Browser();
        var form = BrowserFlow.ReadForm(await (await browser.GetAsync("/account/login?returnUrl=//evil.example/x")).Content.ReadAsStringAsync());
        form["username"] = "bob";
        form["password"] = "bob";
        var r = await browser.PostAsync("/account/login", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.Equal("/", r.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Login_RepeatedFailures_LocksOutEvenWithRightPassword()
    {
        for (var i = 0; i < 3; i++)
        {
            var (_, bad) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "mallory-target", ["password"] = "guess" + i });
            Assert.Equal("invalid_grant", bad.GetProperty("error").GetString());
        }
        var (r, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "mallory-target", ["password"] = "correct-horse" });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("locked", body.GetProperty("error_description").GetString(), StringComparison.Ordinal);

        // The login page says so too.
        var browser = _factory.Browser();
        var form = BrowserFlow.ReadForm(await (await browser.GetAsync("/account/login")).Content.ReadAsStringAsync());
        form["username"] = "mallory-target";
        form["password"] = "correct-horse";
        var page = await browser.PostAsync("/account/login", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("locked", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientAuthentication_RepeatedFailures_Throttled429EvenWithRightSecret()
    {
        // A client id nobody else uses in this class, so the counter is this test's own.
        for (var i = 0; i < 5; i++)
        {
            var (bad, _) = await Protocol.TokenAsync(_http, "web-bff", "guess" + i, new() { ["grant_type"] = "client_credentials" });
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        }
        var (r, body) = await Protocol.TokenAsync(_http, "web-bff", "web-bff-secret", new() { ["grant_type"] = "client_credentials" });
        Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.NotNull(r.Headers.RetryAfter);
    }

    [Fact]
    public async Task Cors_ConfiguredOrigin_AllowedOthersNot()
    {
        async Task<HttpResponseMessage> Preflight(string origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, "/connect/token");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            return await _http.SendAsync(request);
        }
        var allowed = await Preflight("http://127.0.0.1:5200");
        Assert.Equal("http://127.0.0.1:5200", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var denied = await Preflight("http://evil.example");
        Assert.False(denied.Headers.Contains("Access-Control-Allow-Origin"));

        using var get = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
        get.Headers.Add("Origin", "http://evil.example");
        Assert.False((await _http.SendAsync(get)).Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Pages_CannotBeFramed()
    {
        var r = await _http.GetAsync("/account/login");
        Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", r.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_RepeatedParameter_ErrorPage()
    {
        var r = await _factory.Browser().GetAsync(BrowserFlow.AuthorizeUrl("web-bff", "http://127.0.0.1:5100/signin-oidc", "openid", BrowserFlow.NewPkce().Challenge) + "&state=second");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    [Fact]
    public async Task Login_ErrorMessage_IsHtmlEncoded()
    {
        var browser = _factory.Browser();
        var form = BrowserFlow.ReadForm(await (await browser.GetAsync("/account/login")).Content.ReadAsStringAsync());
        form["username"] = "<script>alert(1)</script>";
        form["password"] = "x";
        var html = await (await browser.PostAsync("/account/login", new FormUrlEncodedContent(form))).Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }
}
