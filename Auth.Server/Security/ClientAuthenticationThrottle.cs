using System.Threading.RateLimiting;
using Infrastructure.Auth.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server.Security;

/// <summary>
/// Counts failed client authentications per client id and remote address, and failed logins per username and remote
/// address; past the limit the caller gets 429 until the window ends.
/// </summary>
internal sealed class ClientAuthenticationThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;

    public ClientAuthenticationThrottle(IOptions<AuthOptions> options)
    {
        var o = options.Value.ClientAuthenticationThrottle;
        _failures = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = o.PermitLimit,
            Window = o.Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        Window = o.Window;
    }

    public TimeSpan Window { get; }

    public static string PartitionKey(HttpContext context, string? clientId) =>
        (context.Connection.RemoteIpAddress?.ToString() ?? "-") + "|" + (clientId ?? "");

    /// <summary>A login's key; its own prefix keeps a username from sharing a counter with a client id of the same text.</summary>
    public static string LoginPartitionKey(HttpContext context, string username) =>
        "login|" + (context.Connection.RemoteIpAddress?.ToString() ?? "-") + "|" + username.ToUpperInvariant();

    /// <summary>Whether this caller has used up its failures for the window.</summary>
    public bool IsBlocked(string key) => _failures.GetStatistics(key)?.CurrentAvailablePermits <= 0;

    public void RecordFailure(string key)
    {
        using var lease = _failures.AttemptAcquire(key);
    }

    public void Dispose() => _failures.Dispose();
}
