using System.Net;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Forwarding;

public sealed class FailoverTests
{
    [Fact]
    public async Task OneOfTwoInstancesKilledUnderLoad_NoClientVisibleErrorsForGets()
    {
        var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        var c = new RouteConfig().Instances("catalog", a.Url, b.Url).Route("lb", "lb://catalog", ["Path=/lb/**"], ["StripPrefix=1"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        var errors = new List<string>();
        var served = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var r = await client.GetAsync("/lb/x");
                if (r.StatusCode != HttpStatusCode.OK)
                {
                    var text = $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}";
                    lock (errors)
                    {
                        errors.Add(text);
                    }
                }
                Interlocked.Increment(ref served);
            }
        })).ToArray();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref served) < 50 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        await a.DisposeAsync();
        var afterKill = Volatile.Read(ref served);
        while (Volatile.Read(ref served) < afterKill + 100 && DateTime.UtcNow < deadline.AddSeconds(20))
        {
            await Task.Delay(20);
        }
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.True(served >= afterKill + 100, $"only {served - afterKill} requests after the kill");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task ClientAbort_LongUpstreamCall_CancelledUpstream()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var c = new RouteConfig().Route("abort", backend.Url, ["Path=/abort/**"], ["SetPath=/delay/30000"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();
        using var cts = new CancellationTokenSource();
        var call = client.GetAsync("/abort/x", cts.Token);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (backend.Requests == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        while (!backend.Counters.ContainsKey("aborted") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(1, backend.Counters.GetValueOrDefault("aborted"));
    }
}
