using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Infrastructure.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Security;

/// <summary>
/// HTTP Basic against <see cref="SecurityOptions.Users"/>; the user's scopes become <c>scope</c> claims. Wrong passwords are
/// counted per caller address: past the limit the caller gets 429 for the rest of the window, even with the right one.
/// </summary>
internal sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<SecurityOptions> security,
    AuthenticationFailureThrottle throttle)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Basic";

    private bool _throttled;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        switch (AuthorizationHeader.ReadBasic(Request, out var name, out var password))
        {
            case BasicCredentialsRead.None:
                return Task.FromResult(AuthenticateResult.NoResult());
            case BasicCredentialsRead.Malformed:
                return Task.FromResult(AuthenticateResult.Fail("malformed Basic credentials"));
        }
        var key = AuthenticationFailureThrottle.RemoteAddressKey(Context);
        if (throttle.IsBlocked(key))
        {
            _throttled = true;
            return Task.FromResult(AuthenticateResult.Fail("too many failed attempts"));
        }
        var user = security.Value.Users.FirstOrDefault(u => u.Username == name
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(u.Password), Encoding.UTF8.GetBytes(password)));
        if (user is null)
        {
            throttle.RecordFailure(key);
            return Task.FromResult(AuthenticateResult.Fail("invalid user name or password"));
        }
        var identity = new ClaimsIdentity(SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.Name, user.Username));
        identity.AddClaim(new Claim("scope", user.Scopes));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (_throttled)
        {
            throttle.SetTooManyRequests(Response);
            return Task.CompletedTask;
        }
        Response.Headers.WWWAuthenticate = "Basic realm=\"config-server\"";
        return base.HandleChallengeAsync(properties);
    }
}
