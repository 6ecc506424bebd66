using Infrastructure.Mesh.EndToEnd.Tests.Topology;

namespace Infrastructure.Mesh.EndToEnd.Tests.ControlPlane;

/// <summary>A broken YAML file is rejected with a reason naming it, and the previous good set stays in force.</summary>
[Collection(BookinfoCollection.Name)]
public sealed class BrokenConfigTests(BookinfoFixture bookinfo) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await bookinfo.ResetAsync();
        // A good set that differs from what a sidecar does with no rule at all: every request to v2.
        await bookinfo.RouteReviewsAsync(0, 100, expect: "v2");
    }

    public Task DisposeAsync() => bookinfo.ResetAsync();

    public static TheoryData<string, string> Broken() => new()
    {
        // Valid YAML, invalid Istio: a negative weight (Istio rejects it and names the field).
        { "negative weight", MeshConfig.ReviewsSplit(0, 100).Replace("weight: 0", "weight: -10", StringComparison.Ordinal) },
        // Not YAML at all: an editor saved half a file.
        { "unparsable YAML", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts: [reviews\n  http:\n  - route: {\n" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public async Task BrokenFile_Rejected_OldConfigStillServing_ReasonVisible(string what, string yaml)
    {
        bookinfo.Mesh.Config.Write("reviews.yaml", yaml);

        var reason = await bookinfo.Mesh.WaitForRejectionAsync("reviews.yaml");
        Assert.Contains("reviews.yaml", reason, StringComparison.Ordinal);
        for (var i = 0; i < 20; i++)
        {
            var r = await bookinfo.ProductPage.SendAsync("reviews", "/reviews/0");
            Assert.True(r.Field("version") == "v2", $"{what}: request {i} after the broken file: {r}");
        }
    }
}
