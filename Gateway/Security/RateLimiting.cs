using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Forwarding;
using Infrastructure.Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.Gateway.Security;

/// <summary>Token-bucket settings of one RequestRateLimiter filter (Spring's RedisRateLimiter.Config).</summary>
internal sealed record RateLimitSettings(int ReplenishRate, int BurstCapacity, int RequestedTokens);

/// <summary>The answer of a rate limiter: allowed or not, and how many tokens are left.</summary>
internal readonly record struct RateLimitDecision(bool Allowed, long TokensRemaining);

/// <summary>Takes tokens from the bucket of (route, key).</summary>
internal interface IRateLimiter
{
    ValueTask<RateLimitDecision> IsAllowedAsync(string routeId, string key, RateLimitSettings settings, CancellationToken cancellationToken);
}

/// <summary>Buckets in this process's memory: replenishRate tokens per second, up to burstCapacity.</summary>
internal sealed class InMemoryRateLimiter(TimeProvider time) : IRateLimiter
{
    private const int SweepThreshold = 10_000;
    private readonly ConcurrentDictionary<(string, string), Bucket> _buckets = new();

    public ValueTask<RateLimitDecision> IsAllowedAsync(string routeId, string key, RateLimitSettings settings, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        var bucket = _buckets.GetOrAdd((routeId, key), static (_, a) => new Bucket(a.Settings.BurstCapacity, a.Now), (Settings: settings, Now: now));
        RateLimitDecision decision;
        lock (bucket)
        {
            var elapsed = time.GetElapsedTime(bucket.LastRefill, now).TotalSeconds;
            bucket.Tokens = Math.Min(settings.BurstCapacity, bucket.Tokens + (elapsed * settings.ReplenishRate));
            bucket.LastRefill = now;
            var allowed = bucket.Tokens >= settings.RequestedTokens;
            if (allowed)
            {
                bucket.Tokens -= settings.RequestedTokens;
            }
            decision = new RateLimitDecision(allowed, (long)Math.Floor(bucket.Tokens));
        }
        if (_buckets.Count > SweepThreshold)
        {
            Sweep(now, settings);
        }
        return ValueTask.FromResult(decision);
    }

    // Drop buckets idle long enough to be full again: forgetting them changes nothing.
    private void Sweep(long now, RateLimitSettings settings)
    {
        var refill = TimeSpan.FromSeconds((double)settings.BurstCapacity / Math.Max(1, settings.ReplenishRate));
        foreach (var (k, b) in _buckets)
        {
            if (time.GetElapsedTime(b.LastRefill, now) > refill)
            {
                _buckets.TryRemove(k, out _);
            }
        }
    }

    private sealed class Bucket(double tokens, long now)
    {
        public double Tokens = tokens;
        public long LastRefill = now;
    }
}

/// <summary>
/// Spring's RequestRateLimiter: <c>replenishRate</c>, <c>burstCapacity</c> (= replenishRate), <c>requestedTokens</c> (1),
/// <c>keyResolver</c> (<c>ip</c> default, <c>principal</c>, or <c>header:Name</c>), <c>denyEmptyKey</c> (true, 403).
/// Answers 429 with the X-RateLimit-* headers when the bucket is empty.
/// </summary>
internal sealed class RequestRateLimiterFilter : GatewayFilter, IPreFilter
{
    private readonly IRateLimiter _limiter;
    private readonly string _routeId;
    private readonly string _keyResolver;
    private readonly bool _denyEmptyKey;
    private readonly string _replenish;
    private readonly string _burst;
    private readonly string _requested;

    public RequestRateLimiterFilter(NamedArgs d, string routeId, IRateLimiter limiter) : base(d)
    {
        _limiter = limiter;
        _routeId = routeId;
        var replenish = Int(d.Get("redis-rate-limiter.replenishRate", 0) ?? d.Get("replenishRate", 0), "replenishRate", null);
        var burst = Int(d.Get("redis-rate-limiter.burstCapacity", 1) ?? d.Get("burstCapacity", 1), "burstCapacity", replenish);
        var requested = Int(d.Get("redis-rate-limiter.requestedTokens", 2) ?? d.Get("requestedTokens", 2), "requestedTokens", 1);
        if (burst < requested)
        {
            throw new RouteDefinitionException($"RequestRateLimiter: burstCapacity {burst} is below requestedTokens {requested}: every request would be refused");
        }
        Settings = new RateLimitSettings(replenish, burst, requested);
        _keyResolver = (d.Get("key-resolver", 3) ?? d.Get("keyResolver", 3) ?? "ip").Trim();
        if (!(_keyResolver is "ip" or "principal" || _keyResolver.StartsWith("header:", StringComparison.Ordinal)))
        {
            throw new RouteDefinitionException($"RequestRateLimiter: keyResolver '{_keyResolver}' must be ip, principal or header:Name");
        }
        _denyEmptyKey = bool.Parse(d.Args.TryGetValue("denyEmptyKey", out var deny) ? deny : "true");
        _replenish = replenish.ToString(CultureInfo.InvariantCulture);
        _burst = burst.ToString(CultureInfo.InvariantCulture);
        _requested = requested.ToString(CultureInfo.InvariantCulture);
    }

    public RateLimitSettings Settings { get; }

    public async ValueTask<bool> InvokeAsync(GatewayExchange exchange)
    {
        var context = exchange.Context;
        var key = ResolveKey(context);
        if (string.IsNullOrEmpty(key))
        {
            if (_denyEmptyKey)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return false;
            }
            return true;
        }
        var decision = await _limiter.IsAllowedAsync(_routeId, key, Settings, context.RequestAborted);
        var headers = context.Response.Headers;
        headers["X-RateLimit-Remaining"] = decision.TokensRemaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Replenish-Rate"] = _replenish;
        headers["X-RateLimit-Burst-Capacity"] = _burst;
        headers["X-RateLimit-Requested-Tokens"] = _requested;
        if (!decision.Allowed)
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, "rate limit exceeded for this route and key");
            return false;
        }
        return true;
    }

    private string? ResolveKey(HttpContext context) => _keyResolver switch
    {
        "ip" => context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
        "principal" => context.User.Identity?.IsAuthenticated == true
            ? context.User.FindFirstValue("client_id") ?? context.User.FindFirstValue("sub") ?? context.User.Identity.Name
            : null,
        _ => context.Request.Headers[_keyResolver["header:".Length..]].ToString(),
    };

    private static int Int(string? text, string name, int? fallback)
    {
        if (text is null)
        {
            return fallback ?? throw new RouteDefinitionException($"RequestRateLimiter: {name} is required");
        }
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v : throw new RouteDefinitionException($"RequestRateLimiter: {name} '{text}' is not a positive integer");
    }
}
