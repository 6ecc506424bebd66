using System.Net;
using Infrastructure.Mesh.EndToEnd.Tests.Topology;

namespace Infrastructure.Mesh.EndToEnd.Tests.Resilience;

/// <summary>A DestinationRule's <c>outlierDetection</c>: a ratings instance answering 5xx is ejected, and comes back after the ejection time.</summary>
[Collection(BookinfoCollection.Name)]
public sealed class OutlierDetectionTests(BookinfoFixture bookinfo) : IAsyncLifetime
{
    private const string Rule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: ratings
        spec:
          host: ratings
          trafficPolicy:
            loadBalancer:
              simple: ROUND_ROBIN
            outlierDetection:
              consecutive5xxErrors: 3
              interval: 1s
              baseEjectionTime: 3s
              maxEjectionPercent: 50
          subsets:
          - name: v1
            labels:
              version: v1
        """;

    private static readonly HttpClient Direct = new() { Timeout = TimeSpan.FromSeconds(5) };

    public async Task InitializeAsync()
    {
        await bookinfo.ResetAsync();
        bookinfo.Mesh.Config.Write("destination-rules.yaml", DestinationRulesWith(Rule));
        await bookinfo.Mesh.WaitSyncedAsync("\"baseEjectionTime\": \"3s\"");
    }

    public async Task DisposeAsync()
    {
        await SetChaosAsync(bookinfo.RatingsB, null);
        await bookinfo.ResetAsync();
    }

    [Fact]
    public async Task FailingInstance_Ejected_ThenBroughtBack()
    {
        var caller = bookinfo.ReviewsV2;
        var failing = bookinfo.RatingsB;
        var failingName = $"ratings@127.0.0.1:{failing.AppPort}";
        await SetChaosAsync(failing, 1.0);

        // Round robin meets the failing instance every other request; after 3 consecutive 5xx it is ejected and
        // every request lands on the healthy one.
        await Eventually.UntilAsync(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                if (!(await caller.SendAsync("ratings", "/ratings/0")).Ok) { return false; }
            }
            return true;
        }, Bounds.Converge, () => "10 successes in a row once the failing instance is ejected\n" + bookinfo.Mesh.Logs());
        for (var i = 0; i < 20; i++)
        {
            var r = await caller.SendAsync("ratings", "/ratings/0");
            Assert.True(r.Ok, $"request {i} while ejected: {r}");
            Assert.NotEqual(failingName, r.Field("instance"));
        }

        // Healed: once its ejection time is over it takes traffic again.
        await SetChaosAsync(failing, null);
        await Eventually.UntilAsync(async () => (await caller.SendAsync("ratings", "/ratings/0")).Field("instance") == failingName,
            Bounds.Converge, () => $"{failingName} back in rotation after its ejection\n" + bookinfo.Mesh.Logs());
    }

    private static async Task SetChaosAsync(Workload ratings, double? errorRatio)
    {
        var url = new Uri(ratings.AppUri, "chaos");
        using var r = errorRatio is { } ratio
            ? await Direct.PostAsync(url, new StringContent($$"""{"errorRatio":{{ratio.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""", System.Text.Encoding.UTF8, "application/json"))
            : await Direct.DeleteAsync(url);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    private static string DestinationRulesWith(string ratingsRule)
    {
        var samples = File.ReadAllText(Path.Combine(MeshConfig.SamplesFolder, "destination-rules.yaml"));
        var docs = samples.Split("\n---\n");
        return string.Join("\n---\n", docs.Where(d => !d.Contains("name: ratings", StringComparison.Ordinal)).Append(ratingsRule));
    }
}
