using System.Security.Claims;
using System.Text.RegularExpressions;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Infrastructure.Browser.Tests;

/// <summary>Headless Chromium signs in to a web app whose ASP.NET Core OpenIdConnect handler uses a real Auth.Server (code + PKCE).</summary>
public sealed class AuthServerLoginTests : IClassFixture<BrowserFixture>
{
    private readonly BrowserFixture _browser;

    public AuthServerLoginTests(BrowserFixture browser) => _browser = browser;

    [Fact]
    public async Task OpenIdConnectLogin_InChromium_LoginConsentReachesProtectedPage()
    {
        var webPort = FreePort.Next();
        var web = $"http://127.0.0.1:{webPort}";
        await using var auth = await ServerProcess.StartAsync("Auth.Server", environment: new Dictionary<string, string?>
        {
            ["Auth__SigningKeys__Path"] = Path.Combine(Path.GetTempPath(), "auth-browser-" + Guid.NewGuid().ToString("N")),
            ["Auth__Clients__10__ClientId"] = "browser-webapp",
            ["Auth__Clients__10__ClientSecrets__0__Value"] = "browser-secret",
            ["Auth__Clients__10__AllowedGrantTypes__0"] = "authorization_code",
            ["Auth__Clients__10__RedirectUris__0"] = web + "/signin-oidc",
            ["Auth__Clients__10__PostLogoutRedirectUris__0"] = web + "/signout-callback-oidc",
            ["Auth__Clients__10__AllowedScopes__0"] = "openid",
            ["Auth__Clients__10__AllowedScopes__1"] = "profile",
            ["Auth__Clients__10__RequireConsent"] = "true",
        });

        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls(web);
        builder.Services.AddAuthentication(o =>
        {
            o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
        })
        .AddCookie()
        .AddOpenIdConnect(o =>
        {
            o.Authority = auth.BaseUri.ToString().TrimEnd('/');
            o.RequireHttpsMetadata = false;
            o.ClientId = "browser-webapp";
            o.ClientSecret = "browser-secret";
            o.ResponseType = "code";
            o.ResponseMode = "query";
            o.UsePkce = true;
            o.SaveTokens = true;
            o.GetClaimsFromUserInfoEndpoint = true;
            o.MapInboundClaims = false;
            o.TokenValidationParameters.NameClaimType = "name";
            // Plain http on loopback: SameSite=None cookies would need Secure.
            o.CorrelationCookie.SameSite = SameSiteMode.Lax;
            o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.NonceCookie.SameSite = SameSiteMode.Lax;
            o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        builder.Services.AddAuthorization();
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/", (HttpContext ctx) => Results.Content($"<h1 id=\"hello\">Hello {ctx.User.Identity!.Name} ({ctx.User.FindFirstValue("sub")})</h1>", "text/html")).RequireAuthorization();
        await app.StartAsync();

        await using var context = await _browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        // No wait here goes through Playwright's load-state tracking: with Debian's Chromium 156 (newer than this
        // Playwright's) the page at the end of a POST-redirect chain sometimes never reported its load state, and
        // WaitForURLAsync timed out on a fully rendered consent page, with WaitUntil=Commit too. The URL and the
        // elements are polled instead.
        var site = Regex.Escape(auth.BaseUri.ToString());
        var within = new PageAssertionsToHaveURLOptions { Timeout = 30_000 };
        await page.GotoAsync(web + "/", new() { WaitUntil = WaitUntilState.Commit });
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("^" + site + "account/login\\?"), within);
        await page.FillAsync("input[name=username]", "alice");
        await page.FillAsync("input[name=password]", "alice");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("^" + site + "account/consent\\?"), within);
        await page.ClickAsync("button[value=yes]");
        await Assertions.Expect(page).ToHaveURLAsync(web + "/", within);
        Assert.Equal("Hello Alice Smith (1)", await page.InnerTextAsync("#hello"));
    }
}
