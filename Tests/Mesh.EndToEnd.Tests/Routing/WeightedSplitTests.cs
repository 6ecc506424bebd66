using Infrastructure.Mesh.EndToEnd.Tests.Topology;

namespace Infrastructure.Mesh.EndToEnd.Tests.Routing;

/// <summary>Bookinfo's classic: a VirtualService splitting reviews between v1 and v2 by weight, edited as a YAML file.</summary>
[Collection(BookinfoCollection.Name)]
public sealed class WeightedSplitTests(BookinfoFixture bookinfo) : IAsyncLifetime
{
    public Task InitializeAsync() => bookinfo.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task EditedWeights_InForceWithinASecond()
    {
        var productpage = bookinfo.ProductPage;
        Assert.Equal("v1", (await productpage.SendAsync("reviews", "/reviews/0")).Field("version"));

        var took = await bookinfo.RouteReviewsAsync(0, 100, expect: "v2");

        Assert.True(took <= TimeSpan.FromSeconds(1), $"the new weights took {took.TotalMilliseconds:0} ms to be in force (at most 1 s)");
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("v2", (await productpage.SendAsync("reviews", "/reviews/0")).Field("version"));
        }
    }

    [Fact]
    public async Task NinetyTen_Over2000Requests_WithinThreePercent()
    {
        var productpage = bookinfo.ProductPage;
        await bookinfo.RouteReviewsAsync(0, 100, expect: "v2");
        // Any v1 answer after all-v2 means the 90/10 set is in force at productpage's sidecar, the one that routes.
        await bookinfo.RouteReviewsAsync(90, 10, expect: "v1");

        const int total = 2000;
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var next = 0;
        var workers = Enumerable.Range(0, 4).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= total)
            {
                var reply = await productpage.SendAsync("reviews", "/reviews/0");
                counts.AddOrUpdate(reply.Field("version") ?? $"failed: {reply}", 1, (_, n) => n + 1);
            }
        });
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(90));

        var summary = string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.Equal(total, counts.GetValueOrDefault("v1") + counts.GetValueOrDefault("v2"));
        var share = counts.GetValueOrDefault("v2") / (double)total;
        Assert.True(Math.Abs(share - 0.10) <= 0.03, $"v2 got {share:P1} of {total} requests (10 % ± 3 expected): {summary}");
    }
}
