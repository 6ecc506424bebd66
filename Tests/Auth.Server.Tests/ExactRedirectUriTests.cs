using System.Net;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>
/// redirect_uri and post_logout_redirect_uri match a registered URI exactly (OAuth 2.0 Security BCP §4.1.3): every
/// near miss — case, trailing slash, query, fragment, a longer or shorter path, dot segments, encoding — is refused,
/// at the authorize endpoint, at the token endpoint and at end session.
/// </summary>
public sealed class ExactRedirectUriTests : IClassFixture<ExactRedirectUriTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public AuthServerFactory Factory { get; } = new();

        public void Dispose() => Factory.Dispose();
    }

    private const string Registered = "http://127.0.0.1:5100/signin-oidc";
    private const string RegisteredLogout = "http://127.0.0.1:5100/signout-callback-oidc";
    private readonly AuthServerFactory _factory;

    public ExactRedirectUriTests(Fixture fixture) => _factory = fixture.Factory;

    public static TheoryData<string> NearMisses() =>
    [
        "scheme case", "path case", "trailing slash", "query", "empty query", "fragment", "longer path", "longer name",
        "shorter path", "dot segments", "percent-encoded", "other host", "no port", "https",
    ];

    private static string Mutate(string uri, string how)
    {
        var u = new Uri(uri);
        return how switch
        {
            "scheme case" => "HTTP" + uri[4..],
            "path case" => uri.Replace(u.AbsolutePath, u.AbsolutePath.ToUpperInvariant(), StringComparison.Ordinal),
            "trailing slash" => uri + "/",
            "query" => uri + "?x=1",
            "empty query" => uri + "?",
            "fragment" => uri + "#f",
            "longer path" => uri + "/more",
            "longer name" => uri + "-evil",
            "shorter path" => uri[..uri.LastIndexOf('-')],
            "dot segments" => $"{u.Scheme}://{u.Authority}/x/..{u.AbsolutePath}",
            "percent-encoded" => uri.Replace("-", "%2D", StringComparison.Ordinal),
            "other host" => uri.Replace("127.0.0.1", "localhost", StringComparison.Ordinal),
            "no port" => uri.Replace(":5100", "", StringComparison.Ordinal),
            "https" => "https" + uri[4..],
            _ => throw new ArgumentOutOfRangeException(nameof(how), how, null),
        };
    }

    [Theory]
    [MemberData(nameof(NearMisses))]
    public async Task Authorize_NearMissRedirectUri_ErrorPageNoRedirect(string how)
    {
        var redirect = Mutate(Registered, how);
        Assert.NotEqual(Registered, redirect);
        var flow = new BrowserFlow(_factory.Browser());
        // Signed in first, so that a tolerated URI would get a code, not merely a login page.
        await flow.RunAsync(BrowserFlow.AuthorizeUrl("web-bff", Registered, "openid", BrowserFlow.NewPkce().Challenge));
        using var r = await flow.Http.GetAsync(BrowserFlow.AuthorizeUrl("web-bff", redirect, "openid", BrowserFlow.NewPkce().Challenge));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Null(r.Headers.Location);
    }

    [Theory]
    [MemberData(nameof(NearMisses))]
    public async Task Token_NearMissOfTheAuthorizeRedirectUri_InvalidGrant(string how)
    {
        var flow = new BrowserFlow(_factory.Browser());
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var code = BrowserFlow.Query(await flow.RunAsync(BrowserFlow.AuthorizeUrl("web-bff", Registered, "openid", challenge)))["code"];
        var (r, body) = await Protocol.TokenAsync(_factory.CreateClient(), "web-bff", "web-bff-secret", new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = Mutate(Registered, how), ["code_verifier"] = verifier,
        });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Theory]
    [MemberData(nameof(NearMisses))]
    public async Task EndSession_NearMissPostLogoutRedirectUri_ErrorPageNoRedirectStillSignedIn(string how)
    {
        var browser = _factory.Browser();
        var flow = new BrowserFlow(browser);
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var code = BrowserFlow.Query(await flow.RunAsync(BrowserFlow.AuthorizeUrl("web-bff", Registered, "openid", challenge)))["code"];
        var (_, tokens) = await Protocol.TokenAsync(_factory.CreateClient(), "web-bff", "web-bff-secret", new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = Registered, ["code_verifier"] = verifier,
        });
        var idToken = tokens.GetProperty("id_token").GetString()!;

        using var r = await browser.GetAsync("/connect/endsession?id_token_hint=" + idToken + "&post_logout_redirect_uri=" + Uri.EscapeDataString(Mutate(RegisteredLogout, how)));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Null(r.Headers.Location);
        using var still = await browser.GetAsync(BrowserFlow.AuthorizeUrl("web-bff", Registered, "openid", BrowserFlow.NewPkce().Challenge));
        Assert.StartsWith(Registered + "?code=", still.Headers.Location!.ToString(), StringComparison.Ordinal);
    }
}
