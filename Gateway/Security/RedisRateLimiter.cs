using StackExchange.Redis;

namespace Infrastructure.Gateway.Security;

/// <summary>
/// Token buckets in Redis, so several gateway replicas share one limit. One Lua script per request refills and takes
/// tokens atomically, timed by the Redis server's clock. When Redis is unreachable the request is let through with
/// <c>X-RateLimit-Remaining: -1</c>, as Spring's RedisRateLimiter does (fail open) — at once, not after the client's
/// command timeout (no backlog while disconnected) — and the connection keeps being retried in the background, also when
/// Redis was down at the first request, so limiting resumes by itself once Redis is back.
/// </summary>
internal sealed class RedisRateLimiter(string configuration) : IRateLimiter, IAsyncDisposable
{
    private const string Script = """
        local rate = tonumber(ARGV[1])
        local capacity = tonumber(ARGV[2])
        local requested = tonumber(ARGV[3])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
        local ttl = math.ceil(capacity / rate * 2) + 1
        local tokens = tonumber(redis.call('GET', KEYS[1])) or capacity
        local last = tonumber(redis.call('GET', KEYS[2])) or now
        tokens = math.min(capacity, tokens + math.max(0, now - last) * rate)
        local allowed = 0
        if tokens >= requested then
          tokens = tokens - requested
          allowed = 1
        end
        redis.call('SET', KEYS[1], tostring(tokens), 'EX', ttl)
        redis.call('SET', KEYS[2], tostring(now), 'EX', ttl)
        return { allowed, math.floor(tokens) }
        """;

    private static readonly TimeSpan FirstConnectWait = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Task<ConnectionMultiplexer>? _connection;

    /// <summary>The configuration string with the two settings fail-open needs: keep retrying to connect, never queue while disconnected.</summary>
    internal static ConfigurationOptions Options(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }

    private Task<ConnectionMultiplexer> ConnectionAsync()
    {
        lock (_gate)
        {
            // A connect that failed outright (it should not, with AbortOnConnectFail off) is tried again by the next request.
            if (_connection is null || _connection.IsFaulted || _connection.IsCanceled)
            {
                _connection = ConnectAsync(configuration);
            }
            return _connection;
        }

        static async Task<ConnectionMultiplexer> ConnectAsync(string configuration) =>
            Infrastructure.ServiceDefaults.Telemetry.RedisTracing.Track(await ConnectionMultiplexer.ConnectAsync(Options(configuration)).ConfigureAwait(false));
    }

    public async ValueTask<RateLimitDecision> IsAllowedAsync(string routeId, string key, RateLimitSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            // A Redis that is down at the first request makes the connect wait its whole connectTimeout (5 s by default):
            // requests fail open after a short wait instead, while the connect goes on for the next ones.
            var db = (await ConnectionAsync().WaitAsync(FirstConnectWait, cancellationToken).ConfigureAwait(false)).GetDatabase();
            // The hash tag keeps both keys of a bucket in one cluster slot.
            var id = $"request_rate_limiter.{{{routeId}.{key}}}";
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(Script,
                [id + ".tokens", id + ".timestamp"],
                [settings.ReplenishRate, settings.BurstCapacity, settings.RequestedTokens]).ConfigureAwait(false))!;
            return new RateLimitDecision((long)result[0] == 1, (long)result[1]);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or RedisConnectionException)
        {
            return new RateLimitDecision(true, -1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<ConnectionMultiplexer>? connection;
        lock (_gate)
        {
            connection = _connection;
        }
        if (connection is not null)
        {
            try
            {
                await (await connection.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (RedisConnectionException)
            {
                // Never connected: nothing to close.
            }
        }
    }
}
