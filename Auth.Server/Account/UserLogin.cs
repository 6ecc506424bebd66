using Infrastructure.Auth.Server.Configuration;
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
}

/// <summary>Checks a username and password (login page and password grant), counting failures and locking out as ASP.NET Core Identity does.</summary>
internal sealed class UserLogin(IUserStore users, IPasswordHasher<UserRecord> hasher, IOptions<AuthOptions> options, TimeProvider time)
{
    // Verifying against a dummy hash for unknown users keeps the response time from telling which usernames exist.
    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher<UserRecord>().HashPassword(null!, Guid.NewGuid().ToString()));

    public async Task<(LoginOutcome Outcome, UserRecord? User)> CheckAsync(string? username, string? password, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password))
        {
            return (LoginOutcome.InvalidCredentials, null);
        }
        var user = await users.FindByUsernameAsync(username, ct);
        if (user is null || !user.IsActive)
        {
            hasher.VerifyHashedPassword(null!, DummyHash.Value, password);
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
