using System.Net;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>Password guessing is throttled per username and remote address, as client secret guessing is.</summary>
public sealed class LoginThrottleTests : IClassFixture<LoginThrottleTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        // Lockout far away, so what stops the guesses here is the throttle alone.
        public AuthServerFactory Factory { get; } = new(new()
        {
            ["Auth:Lockout:MaxFailedAccessAttempts"] = "1000",
            ["Auth:ClientAuthenticationThrottle:PermitLimit"] = "3",
            ["Auth:ClientAuthenticationThrottle:Window"] = "00:10:00",
            ["Auth:Users:10:SubjectId"] = "501",
            ["Auth:Users:10:Username"] = "page-victim",
            ["Auth:Users:10:Password"] = "right-pw",
            ["Auth:Users:11:SubjectId"] = "502",
            ["Auth:Users:11:Username"] = "grant-victim",
            ["Auth:Users:11:Password"] = "right-pw",
        });

        public void Dispose() => Factory.Dispose();
    }

    private readonly AuthServerFactory _factory;

    public LoginThrottleTests(Fixture fixture) => _factory = fixture.Factory;

    private async Task<HttpResponseMessage> LoginAsync(HttpClient browser, string username, string password)
    {
        var form = BrowserFlow.ReadForm(await (await browser.GetAsync("/account/login")).Content.ReadAsStringAsync());
        form["username"] = username;
        form["password"] = password;
        return await browser.PostAsync("/account/login", new FormUrlEncodedContent(form));
    }

    [Fact]
    public async Task LoginPage_RepeatedWrongPasswords_429EvenWithTheRightOne()
    {
        var browser = _factory.Browser();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await LoginAsync(browser, "page-victim", "guess" + i)).StatusCode);
        }
        var r = await LoginAsync(browser, "PAGE-VICTIM", "right-pw");
        Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
        Assert.NotNull(r.Headers.RetryAfter);
        Assert.Contains("Too many failed sign-ins", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(r.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("idsrv=", StringComparison.Ordinal)));

        // Counted per username: another account from the same address still signs in.
        Assert.Equal(HttpStatusCode.Redirect, (await LoginAsync(_factory.Browser(), "bob", "bob")).StatusCode);
    }

    [Fact]
    public async Task LoginPage_GuessesAtUnknownUsername_ThrottledToo()
    {
        var browser = _factory.Browser();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await LoginAsync(browser, "nobody-here", "guess" + i)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(browser, "nobody-here", "guess")).StatusCode);
    }

    [Fact]
    public async Task PasswordGrant_RepeatedWrongPasswords_429EvenWithTheRightOne()
    {
        var http = _factory.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            var (bad, _) = await Protocol.TokenAsync(http, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "grant-victim", ["password"] = "guess" + i });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        var (r, body) = await Protocol.TokenAsync(http, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "grant-victim", ["password"] = "right-pw" });
        Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
        Assert.NotNull(r.Headers.RetryAfter);
    }
}
