using System.Net;
using System.Security.Claims;
using Duende.IdentityModel.Client;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>.NET clients: Duende.IdentityModel (the samples' client library) and ASP.NET Core's OpenIdConnect handler doing a full code+PKCE login.</summary>
public sealed class DotNetClientInteropTests : IClassFixture<DotNetClientInteropTests.Fixture>
{
    private const string WebApp = "http://webapp.test";

    public sealed class Fixture : IAsyncLifetime
    {
        public AuthServerFactory Auth { get; } = new(new()
        {
            ["Auth:Clients:10:ClientId"] = "test-webapp",
            ["Auth:Clients:10:ClientSecrets:0:Value"] = "test-webapp-secret",
            ["Auth:Clients:10:AllowedGrantTypes:0"] = "authorization_code",
            ["Auth:Clients:10:RedirectUris:0"] = WebApp + "/signin-oidc",
            ["Auth:Clients:10:PostLogoutRedirectUris:0"] = WebApp + "/signout-callback-oidc",
            ["Auth:Clients:10:AllowedScopes:0"] = "openid",
            ["Auth:Clients:10:AllowedScopes:1"] = "profile",
            ["Auth:Clients:10:AllowedScopes:2"] = "catalog.read",
        });

        public WebApplication App { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseTestServer();
            builder.Services.AddAuthentication(o =>
            {
                o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                o.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie()
            .AddOpenIdConnect(o =>
            {
                o.Authority = "http://localhost";
                o.RequireHttpsMetadata = false;
                o.BackchannelHttpHandler = Auth.Server.CreateHandler();
                o.ClientId = "test-webapp";
                o.ClientSecret = "test-webapp-secret";
                o.ResponseType = "code";
                o.ResponseMode = "query";
                o.UsePkce = true;
                o.Scope.Add("catalog.read");
                o.SaveTokens = true;
                o.GetClaimsFromUserInfoEndpoint = true;
                o.MapInboundClaims = false;
                o.TokenValidationParameters.NameClaimType = "name";
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
            });
            builder.Services.AddAuthorization();
            App = builder.Build();
            App.UseAuthentication();
            App.UseAuthorization();
            App.MapGet("/secure", async (HttpContext ctx) =>
                $"{ctx.User.Identity!.Name}|{ctx.User.FindFirstValue("sub")}|{(await ctx.GetTokenAsync("access_token"))?.Length > 0}").RequireAuthorization();
            await App.StartAsync();
        }

        public async Task DisposeAsync()
        {
            await App.DisposeAsync();
            Auth.Dispose();
        }
    }

    private readonly Fixture _fixture;

    public DotNetClientInteropTests(Fixture fixture) => _fixture = fixture;

    [Fact]
    public async Task OpenIdConnectHandler_CodePkceLogin_SignsUserIn()
    {
        using var web = new HttpClient(new CookieContainerHandler { InnerHandler = _fixture.App.GetTestServer().CreateHandler() }) { BaseAddress = new Uri(WebApp) };
        var challenge = await web.GetAsync("/secure");
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var authorize = challenge.Headers.Location!;
        Assert.Equal("/connect/authorize", authorize.AbsolutePath);
        Assert.Contains("code_challenge_method=S256", authorize.Query, StringComparison.Ordinal);

        var callback = await new BrowserFlow(_fixture.Auth.Browser()).RunAsync(authorize.PathAndQuery);
        Assert.StartsWith(WebApp + "/signin-oidc?", callback.ToString(), StringComparison.Ordinal);

        var signIn = await web.GetAsync(callback.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/secure", signIn.Headers.Location!.OriginalString);
        var page = await web.GetStringAsync("/secure");
        Assert.Equal("Alice Smith|1|True", page);
    }

    [Fact]
    public async Task DuendeIdentityModel_DiscoveryTokenIntrospectionUserInfoRevocation_Work()
    {
        var http = _fixture.Auth.CreateClient();
        var disco = await http.GetDiscoveryDocumentAsync(new DiscoveryDocumentRequest
        {
            Address = "http://localhost",
            Policy = { RequireHttps = false },
        });
        Assert.False(disco.IsError, disco.Error);
        Assert.Single(disco.KeySet!.Keys);

        var cc = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = "lab-client", ClientSecret = "lab-secret", Scope = "catalog.read",
        });
        Assert.False(cc.IsError, cc.Error);
        Assert.Equal(3600, cc.ExpiresIn);

        var intro = await http.IntrospectTokenAsync(new TokenIntrospectionRequest
        {
            Address = disco.IntrospectionEndpoint, ClientId = "catalog", ClientSecret = "catalog-secret", Token = cc.AccessToken!,
        });
        Assert.False(intro.IsError, intro.Error);
        Assert.True(intro.IsActive);
        Assert.Contains(intro.Claims, c => c.Type == "client_id" && c.Value == "lab-client");

        var pw = await http.RequestPasswordTokenAsync(new PasswordTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = "lab-client", ClientSecret = "lab-secret", UserName = "bob", Password = "bob", Scope = "openid profile offline_access",
        });
        Assert.False(pw.IsError, pw.Error);
        var userInfo = await http.GetUserInfoAsync(new UserInfoRequest { Address = disco.UserInfoEndpoint, Token = pw.AccessToken });
        Assert.False(userInfo.IsError, userInfo.Error);
        Assert.Equal("Bob Smith", userInfo.Claims.Single(c => c.Type == "name").Value);

        var refreshed = await http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = "lab-client", ClientSecret = "lab-secret", RefreshToken = pw.RefreshToken!,
        });
        Assert.False(refreshed.IsError, refreshed.Error);
        var revoke = await http.RevokeTokenAsync(new TokenRevocationRequest
        {
            Address = disco.RevocationEndpoint, ClientId = "lab-client", ClientSecret = "lab-secret", Token = refreshed.RefreshToken!, TokenTypeHint = "refresh_token",
        });
        Assert.False(revoke.IsError, revoke.Error);
        var afterRevoke = await http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = "lab-client", ClientSecret = "lab-secret", RefreshToken = refreshed.RefreshToken!,
        });
        Assert.Equal("invalid_grant", afterRevoke.Error);

        var bad = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest { Address = disco.TokenEndpoint, ClientId = "lab-client", ClientSecret = "wrong" });
        // RFC 6749's 401 for invalid_client: Duende reports it as an HTTP error and keeps the JSON body.
        Assert.Equal(HttpStatusCode.Unauthorized, bad.HttpStatusCode);
        Assert.Contains("\"error\":\"invalid_client\"", bad.Raw, StringComparison.Ordinal);
    }
}
