using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Security;
using Infrastructure.Auth.Server.Stores;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server.Account;

/// <summary>Outcome of a credential check.</summary>
internal enum LoginOutcome
{
    Success,
    InvalidCredentials,
    LockedOut,

    /// <summary>Too many failed attempts for this username from this address; the password was not checked.</summary>
    Throttled,
}

/// <summary>
/// Checks a username and password (login page and password grant): throttled per username and remote address like
/// client secrets are, and counting failures to lock the account out as ASP.NET Core Identity does.
/// </summary>
internal sealed class UserLogin(IUserStore users, IPasswordHasher<UserRecord> hasher, IOptions<AuthOptions> options, ClientAuthenticationThrottle throttle, TimeProvider time)
{
    // Verifying against a dummy hash for unknown users keeps the response time from telling which usernames exist.
    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher<UserRecord>().HashPassword(null!, Guid.NewGuid().ToString()));

    /// <summary>How long a throttled caller should wait (the throttle's window).</summary>
    public TimeSpan RetryAfter => throttle.Window;

    public async Task<(LoginOutcome Outcome, UserRecord? User)> CheckAsync(HttpContext context, string? username, string? password, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password))
        {
            return (LoginOutcome.InvalidCredentials, null);
        }
        // Lockout only counts for accounts that exist and ends after its time span; this also slows guessing at unknown
        // names and keeps a blocked caller from confirming a guess, since the password is not even checked.
        var key = ClientAuthenticationThrottle.LoginPartitionKey(context, username);
        if (throttle.IsBlocked(key))
        {
            return (LoginOutcome.Throttled, null);
        }
        var user = await users.FindByUsernameAsync(username, ct);
        if (user is null || !user.IsActive)
        {
            hasher.VerifyHashedPassword(null!, DummyHash.Value, password);
            throttle.RecordFailure(key);
            return (LoginOutcome.InvalidCredentials, null);
        }
        var now = time.GetUtcNow();
        if (user.LockoutEnd > now)
        {
            return (LoginOutcome.LockedOut, null);
        }
        var result = hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            throttle.RecordFailure(key);
            var lockout = options.Value.Lockout;
            await users.RecordFailedLoginAsync(user.SubjectId, lockout.MaxFailedAccessAttempts, now + lockout.DefaultLockoutTimeSpan, ct);
            return (LoginOutcome.InvalidCredentials, null);
        }
        if (user.AccessFailedCount > 0 || user.LockoutEnd is not null)
        {
            await users.ResetFailedLoginsAsync(user.SubjectId, ct);
        }
        return (LoginOutcome.Success, user);
    }
}
