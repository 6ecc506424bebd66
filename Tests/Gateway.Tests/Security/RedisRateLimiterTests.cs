using System.Net;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests.Security;

public sealed class RedisRateLimiterTests
{
    [Fact]
    public async Task RequestRateLimiter_RedisConfigured_TwoGatewaysShareOneBucket()
    {
        await using var backend = await TestBackend.StartAsync("a");
        // A fresh route id gives fresh Redis keys on a server other tests share.
        var routeId = "limited-" + Guid.NewGuid().ToString("N");
        // Each request takes the whole burst; the bucket refills one token per second, so a second request within 3 s must be refused.
        var c = new RouteConfig()
            .Set("Gateway:RateLimiter:Redis", TestDependencies.Redis)
            .Route(routeId, backend.Url, ["Path=/limited/**"], ["RequestRateLimiter=1, 3, 3"]);
        await using var one = new GatewayHost(c.Settings);
        await using var two = new GatewayHost(c.Settings);
        using var client1 = one.NewClient();
        using var client2 = two.NewClient();

        using var first = await client1.GetAsync("/limited/x");
        using var second = await client2.GetAsync("/limited/x");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("0", second.Headers.GetValues("X-RateLimit-Remaining").Single());
    }
}
