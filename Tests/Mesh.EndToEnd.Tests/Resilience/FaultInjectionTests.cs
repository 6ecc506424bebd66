using System.Net;
using Infrastructure.Mesh.EndToEnd.Tests.Topology;

namespace Infrastructure.Mesh.EndToEnd.Tests.Resilience;

/// <summary>A VirtualService's <c>fault</c>: the caller's sidecar delays or aborts requests as declared, without touching the app.</summary>
[Collection(BookinfoCollection.Name)]
public sealed class FaultInjectionTests(BookinfoFixture bookinfo) : IAsyncLifetime
{
    // Bookinfo's fault lab: requests of user "jason" get a delay, those of "abort" a 500, half of "half" a 418;
    // everyone else reaches ratings untouched.
    private const string Faults = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: ratings
        spec:
          hosts:
          - ratings
          http:
          - match:
            - headers:
                end-user:
                  exact: jason
            fault:
              delay:
                fixedDelay: 700ms
                percentage:
                  value: 100
            route:
            - destination:
                host: ratings
          - match:
            - headers:
                end-user:
                  exact: abort
            fault:
              abort:
                httpStatus: 500
                percentage:
                  value: 100
            route:
            - destination:
                host: ratings
          - match:
            - headers:
                end-user:
                  exact: half
            fault:
              abort:
                httpStatus: 418
                percentage:
                  value: 50
            route:
            - destination:
                host: ratings
          - route:
            - destination:
                host: ratings
        """;

    public async Task InitializeAsync()
    {
        await bookinfo.ResetAsync();
        bookinfo.Mesh.Config.Write("ratings-faults.yaml", Faults);
        await Eventually.UntilAsync(async () => (await Ratings("abort")).Status == HttpStatusCode.InternalServerError,
            Bounds.Converge, () => "the abort fault in force\n" + bookinfo.Mesh.Logs());
    }

    public Task DisposeAsync() => bookinfo.ResetAsync();

    private Task<Reply> Ratings(string user) =>
        bookinfo.ReviewsV2.SendAsync("ratings", "/ratings/0", headers: new Dictionary<string, string> { ["end-user"] = user });

    [Fact]
    public async Task Delay_HoldsEveryMatchingRequest_AtLeastTheFixedDelay()
    {
        for (var i = 0; i < 3; i++)
        {
            var delayed = await Ratings("jason");
            Assert.True(delayed.Ok, $"delayed request: {delayed}");
            Assert.True(delayed.Elapsed >= TimeSpan.FromMilliseconds(700), $"a 700ms delay took {delayed.Elapsed.TotalMilliseconds:0} ms");
        }
        var other = await Ratings("alice");
        Assert.True(other.Ok, $"not matching: {other}");
    }

    [Fact]
    public async Task Abort_AnswersTheDeclaredStatus_WithoutReachingTheApp_OthersUntouched()
    {
        for (var i = 0; i < 5; i++)
        {
            var aborted = await Ratings("abort");
            Assert.True(aborted.Status == HttpStatusCode.InternalServerError, $"abort: {aborted}");
            Assert.DoesNotContain("ratings@", aborted.Body, StringComparison.Ordinal);
            Assert.True((await Ratings("alice")).Ok);
        }
    }

    [Fact]
    public async Task Abort_FiftyPercent_AbortsAboutHalf()
    {
        const int total = 400;
        var aborted = 0;
        var ok = 0;
        for (var i = 0; i < total; i++)
        {
            var r = await Ratings("half");
            if (r.Status == (HttpStatusCode)418) { aborted++; }
            else if (r.Ok) { ok++; }
        }
        Assert.Equal(total, aborted + ok);
        Assert.InRange(aborted / (double)total, 0.40, 0.60);
    }
}
