using System.Net;
using Infrastructure.Auth.Server.Account;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>Return URLs on the login and consent pages, over Kestrel: never a 5xx, never a Location a browser takes off-site.</summary>
[Collection(RealServerCollection.Name)]
public sealed class ReturnUrlTests(RealServer server)
{
    private static readonly Uri Site = new("http://auth.test/");

    /// <summary>Where a browser goes for this Location: it drops tab, CR and LF, trims C0 and spaces at the ends and reads "\" as "/".</summary>
    private static void AssertStaysOnSite(HttpResponseMessage r)
    {
        Assert.True((int)r.StatusCode < 500, $"{(int)r.StatusCode} {r.StatusCode}");
        if (!r.Headers.NonValidated.TryGetValues("Location", out var values))
        {
            return;
        }
        var location = values.Single();
        Assert.All(location, c => Assert.True(c is > ' ' and < '\x7F', $"raw character U+{(int)c:X4} in Location"));
        var asBrowser = new string(location.Where(c => c is not ('\t' or '\r' or '\n')).ToArray()).Trim(' ', '\0').Replace('\\', '/');
        Assert.Equal(Site.Host, new Uri(Site, asBrowser).Host);
    }

    public static TheoryData<string> OffSite => new()
    {
        "/\t/evil.example/",
        "/\v/evil.example/",
        "/\0/evil.example/",
        "/\r\n/evil.example/",
        "/\\evil.example/",
        "/\\\\evil.example/",
        "//evil.example/",
        "/%09/evil.example/",
        "/%2F/evil.example/",
        "\t//evil.example/",
        " //evil.example/",
        "https://evil.example/",
        "http:evil.example",
        "~//evil.example/",
        "~/\\evil.example/",
        "/\u00e9vil.example/",
        "/\u2028/evil.example/",
        "/\u007f/evil.example/",
    };

    [Theory]
    [MemberData(nameof(OffSite))]
    public async Task Login_ReturnUrl_NeverOffSiteNever5xx(string returnUrl)
    {
        using var browser = server.Browser();
        var form = BrowserFlow.ReadForm(await browser.GetStringAsync("/account/login"));
        form["username"] = "bob";
        form["password"] = "bob";
        form["returnUrl"] = returnUrl;
        var r = await browser.PostAsync("/account/login", new FormUrlEncodedContent(form));
        // A control character makes the form itself unacceptable (400); everything else signs in and redirects.
        Assert.Equal(returnUrl.Any(c => c < ' ' || c == '\x7F') ? HttpStatusCode.BadRequest : HttpStatusCode.Redirect, r.StatusCode);
        AssertStaysOnSite(r);
    }

    [Theory]
    [MemberData(nameof(OffSite))]
    public async Task LoginPage_ReturnUrlInQuery_NeverRenderedBackUnlessLocal(string returnUrl)
    {
        using var browser = server.Browser();
        var r = await browser.GetAsync("/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var carried = BrowserFlow.ReadForm(await r.Content.ReadAsStringAsync())["returnUrl"];
        Assert.True(carried.Length == 0 || LocalUrl.IsLocal(carried), carried);
    }

    [Theory]
    [InlineData("/connect/authorize?client_id=mobile&scope=openid&x=\v")]
    [InlineData("/connect/authorize?client_id=mobile&scope=openid&x=\t/")]
    [InlineData("/connect/authorize?client_id=mobile&scope=openid&x=\u00e9")]
    [InlineData("/connect/authorize?client_id=mobile&scope=openid&x=\0")]
    public async Task Consent_ReturnUrlWithRawCharacters_RefusedNot5xx(string returnUrl)
    {
        using var browser = server.Browser();
        var login = BrowserFlow.ReadForm(await browser.GetStringAsync("/account/login"));
        login["username"] = "alice";
        login["password"] = "alice";
        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostAsync("/account/login", new FormUrlEncodedContent(login))).StatusCode);
        var consent = BrowserFlow.ReadForm(await browser.GetStringAsync("/account/consent?returnUrl=" + Uri.EscapeDataString("/connect/authorize?client_id=mobile&scope=openid")));
        consent["returnUrl"] = returnUrl;
        consent["button"] = "yes";
        var r = await browser.PostAsync("/account/consent", new FormUrlEncodedContent(consent));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        AssertStaysOnSite(r);
    }

    [Theory]
    [InlineData("/", true)]
    [InlineData("/connect/authorize?client_id=a&redirect_uri=http%3A%2F%2Fx", true)]
    [InlineData("~/", true)]
    [InlineData("~/x", true)]
    [InlineData("/%09/evil.example/", true)]
    [InlineData("", false)]
    [InlineData("~", false)]
    [InlineData("x", false)]
    [InlineData("//evil.example", false)]
    [InlineData("/\\evil.example", false)]
    [InlineData("~//evil.example", false)]
    [InlineData("~/\\evil.example", false)]
    [InlineData("/\t/evil.example", false)]
    [InlineData("/a b", false)]
    [InlineData("/\u00a0", false)]
    [InlineData("https://evil.example/", false)]
    public void IsLocal_AspNetCoreRulesPlusVisibleAsciiOnly(string url, bool local) => Assert.Equal(local, LocalUrl.IsLocal(url));
}
