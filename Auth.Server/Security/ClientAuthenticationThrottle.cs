using Infrastructure.Auth.Server.Configuration;
using Infrastructure.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server.Security;

/// <summary>
/// Counts failed client authentications per client id and remote address, and failed logins per username and remote
/// address; past the limit the caller gets 429 until the window ends. The counting is the shared
/// <see cref="AuthenticationFailureThrottle"/>; what is Auth.Server's own is the choice of keys.
/// </summary>
internal sealed class ClientAuthenticationThrottle : IDisposable
{
    private readonly AuthenticationFailureThrottle _failures;

    public ClientAuthenticationThrottle(IOptions<AuthOptions> options)
    {
        var o = options.Value.ClientAuthenticationThrottle;
        _failures = new AuthenticationFailureThrottle(o.PermitLimit, o.Window);
    }

    public TimeSpan Window => _failures.Window;

    public static string PartitionKey(HttpContext context, string? clientId) =>
        AuthenticationFailureThrottle.RemoteAddressKey(context) + "|" + (clientId ?? "");

    /// <summary>A login's key; its own prefix keeps a username from sharing a counter with a client id of the same text.</summary>
    public static string LoginPartitionKey(HttpContext context, string username) =>
        "login|" + AuthenticationFailureThrottle.RemoteAddressKey(context) + "|" + username.ToUpperInvariant();

    /// <summary>Whether this caller has used up its failures for the window.</summary>
    public bool IsBlocked(string key) => _failures.IsBlocked(key);

    public void RecordFailure(string key) => _failures.RecordFailure(key);

    public void Dispose() => _failures.Dispose();
}
