using Infrastructure.Mesh.EndToEnd.Tests.Topology;

namespace Infrastructure.Mesh.EndToEnd.Tests.Security;

/// <summary>PeerAuthentication STRICT on ratings: its sidecar refuses plain HTTP, while a meshed caller (mTLS) gets through.</summary>
[Collection(BookinfoCollection.Name)]
public sealed class StrictMtlsTests(BookinfoFixture bookinfo) : IAsyncLifetime
{
    private static readonly HttpClient Plain = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(5) };

    public Task InitializeAsync() => bookinfo.ResetAsync();

    public Task DisposeAsync() => bookinfo.ResetAsync();

    [Fact]
    public async Task Strict_RefusesPlaintextCaller_MeshedCallerGetsThrough()
    {
        var ratings = bookinfo.RatingsA;
        var inbound = new Uri($"http://127.0.0.1:{ratings.InboundPort}/ratings/0");
        // PERMISSIVE (the samples' default): the same inbound port takes plain HTTP too.
        Assert.True(await PlainOkAsync(inbound), "plain HTTP to ratings' inbound port under PERMISSIVE");

        bookinfo.Mesh.Config.Write("ratings-strict.yaml", """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: ratings-strict
            spec:
              selector:
                matchLabels:
                  app: ratings
              mtls:
                mode: STRICT
            """);
        await Eventually.UntilAsync(async () => !await PlainOkAsync(inbound), Bounds.Converge,
            () => "ratings' inbound refusing plain HTTP under STRICT\n" + bookinfo.Mesh.Logs());

        for (var i = 0; i < 10; i++)
        {
            Assert.False(await PlainOkAsync(inbound), "a plaintext caller got an answer from a STRICT workload");
            var meshed = await bookinfo.ReviewsV2.SendAsync("ratings", "/ratings/0");
            Assert.True(meshed.Ok, $"the meshed caller (reviews-v2's sidecar, mTLS) was refused: {meshed}");
        }
    }

    private static async Task<bool> PlainOkAsync(Uri url)
    {
        try
        {
            using var r = await Plain.GetAsync(url);
            return r.IsSuccessStatusCode;
        }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) { return false; }
    }
}
