using System.Diagnostics;
using System.Net;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;
using Xunit.Abstractions;

namespace Infrastructure.Gateway.Tests.Faults;

/// <summary>
/// The Redis behind <c>Gateway:RateLimiter:Redis</c> (one of the test's own, never the shared one) killed with SIGKILL
/// and started again. The RequestRateLimiter fails open as Spring's RedisRateLimiter does: requests pass, with
/// <c>X-RateLimit-Remaining: -1</c>, no 5xx and no hang; once Redis is back, limiting works again without a restart.
/// </summary>
public sealed class RedisRateLimiterFaultTests(ITestOutputHelper output)
{
    // A request must be answered well within this; Redis being away must not stall it (fail open, not wait).
    private static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RedisKilled_RequestsPass_LimitingResumesWhenRedisReturns()
    {
        await using var redis = await OwnRedis.StartAsync();
        await using var backend = await TestBackend.StartAsync("a");
        // Long command timeouts, as an operator may set: Redis being away must not hold requests for them.
        await using var gateway = new GatewayHost(Settings(redis, backend, ",syncTimeout=30000,asyncTimeout=30000,connectTimeout=2000"));
        using var client = gateway.NewClient();

        // Redis up: the bucket (burst 3, each request takes 3, refills 1/s) lets one request through, refuses the next.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client)).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(client)).Status);

        redis.Kill();
        var during = new List<(HttpStatusCode Status, string? Remaining)>();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 10; i++)
        {
            var sw = Stopwatch.StartNew();
            during.Add(await SendAsync(client));
            slowest = sw.Elapsed > slowest ? sw.Elapsed : slowest;
        }
        Assert.All(during, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(during, r => Assert.Equal("-1", r.Remaining));

        await redis.StartAgainAsync();
        var resumedAfter = await LimitingResumesAsync(client);
        output.WriteLine($"Redis killed: {during.Count} requests, all 200 with X-RateLimit-Remaining -1, slowest {slowest.TotalMilliseconds:0} ms; limiting again {resumedAfter.TotalSeconds:0.0} s after Redis was back");
    }

    /// <summary>Redis already down when the gateway first needs it (a gateway started during a Redis outage).</summary>
    [Fact]
    public async Task RedisDownAtFirstRequest_RequestsPass_LimitingStartsWhenRedisComesUp()
    {
        await using var redis = await OwnRedis.StartAsync();
        redis.Kill();
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = new GatewayHost(Settings(redis, backend));
        using var client = gateway.NewClient();

        for (var i = 0; i < 5; i++)
        {
            var (status, remaining) = await SendAsync(client);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("-1", remaining);
        }

        await redis.StartAgainAsync();
        var resumedAfter = await LimitingResumesAsync(client);
        output.WriteLine($"limiting started {resumedAfter.TotalSeconds:0.0} s after Redis came up");
    }

    private static Dictionary<string, string?> Settings(OwnRedis redis, TestBackend backend, string options = "") =>
        new RouteConfig()
            .Set("Gateway:RateLimiter:Redis", redis.Configuration + options)
            .Route("limited", backend.Url, ["Path=/limited/**"], ["RequestRateLimiter=1, 3, 3"])
            .Settings;

    /// <summary>Sends pairs of requests until the second of a pair is refused (429); every answer meanwhile must be 200 or 429.</summary>
    private static async Task<TimeSpan> LimitingResumesAsync(HttpClient client)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var first = await SendAsync(client);
            var second = await SendAsync(client);
            Assert.Contains(first.Status, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests });
            Assert.Contains(second.Status, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests });
            if (second.Status == HttpStatusCode.TooManyRequests)
            {
                return sw.Elapsed;
            }
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "the rate limiter still fails open 60 s after Redis was back");
            await Task.Delay(500);
        }
    }

    private static async Task<(HttpStatusCode Status, string? Remaining)> SendAsync(HttpClient client)
    {
        var call = client.GetAsync("/limited/x");
        if (await Task.WhenAny(call, Task.Delay(RequestBound)) != call)
        {
            Assert.Fail($"a request through the rate limiter took longer than {RequestBound.TotalSeconds} s (a hang)");
        }
        using var response = await call;
        return (response.StatusCode, response.Headers.TryGetValues("X-RateLimit-Remaining", out var v) ? v.Single() : null);
    }
}
