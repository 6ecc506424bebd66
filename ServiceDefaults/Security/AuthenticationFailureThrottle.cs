using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.ServiceDefaults.Security;

/// <summary>
/// Counts failed authentications per key (a remote address, or an address and a client id); once a key has used up its
/// failures for the window, callers answer it 429 until the window ends, whatever it presents.
/// </summary>
/// <remarks>
/// Only presented-and-wrong credentials should be recorded: a caller that sent none guessed nothing, and counting it
/// would let one misconfigured service lock out the correctly configured ones behind the same address.
/// </remarks>
public sealed class AuthenticationFailureThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;

    /// <summary>Allows <paramref name="permitLimit"/> failures per key in each <paramref name="window"/>.</summary>
    public AuthenticationFailureThrottle(int permitLimit, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permitLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        // Idle partitions (all permits back) are dropped by the limiter itself, so memory follows active guessers only.
        _failures = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permitLimit,
            Window = window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        Window = window;
    }

    /// <summary>Uses <see cref="AuthenticationThrottleOptions.PermitLimit"/> and <see cref="AuthenticationThrottleOptions.Window"/>.</summary>
    public AuthenticationFailureThrottle(AuthenticationThrottleOptions options)
        : this(options.PermitLimit, options.Window)
    {
    }

    /// <summary>How long a key stays blocked at most.</summary>
    public TimeSpan Window { get; }

    /// <summary>The caller's address as a key; <c>-</c> when unknown (in-memory test servers).</summary>
    public static string RemoteAddressKey(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "-";

    /// <summary>Whether <paramref name="key"/> has used up its failures for the current window.</summary>
    public bool IsBlocked(string key) => _failures.GetStatistics(key)?.CurrentAvailablePermits <= 0;

    /// <summary>Counts one failure; true when this failure used the last one allowed (the key is blocked from now on).</summary>
    public bool RecordFailure(string key)
    {
        using var lease = _failures.AttemptAcquire(key);
        return lease.IsAcquired && IsBlocked(key);
    }

    /// <summary>Answers 429 with <c>Retry-After</c> set to the window (the longest the caller may have to wait).</summary>
    public void SetTooManyRequests(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = ((int)Math.Ceiling(Window.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public void Dispose() => _failures.Dispose();
}

/// <summary>Failed authentications allowed per caller in a window before 429.</summary>
public sealed class AuthenticationThrottleOptions
{
    /// <summary>Failures allowed per window (default 10).</summary>
    [Range(1, 100_000)]
    public int PermitLimit { get; set; } = 10;

    /// <summary>Window length (default 1 minute).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
