using System.Net;
using Infrastructure.Mesh.EndToEnd.Tests.Topology;

namespace Infrastructure.Mesh.EndToEnd.Tests.Security;

/// <summary>The samples' DENY policy: productpage (by its SPIFFE identity) may read ratings but not delete them.</summary>
[Collection(BookinfoCollection.Name)]
public sealed class AuthorizationPolicyTests(BookinfoFixture bookinfo) : IAsyncLifetime
{
    public Task InitializeAsync() => bookinfo.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task DenyPolicy_DeleteFromProductPage_Forbidden_GetAllowed_OtherCallersAllowed()
    {
        for (var i = 0; i < 4; i++)
        {
            var delete = await bookinfo.ProductPage.SendAsync("ratings", "/ratings/0", HttpMethod.Delete);
            Assert.True(delete.Status == HttpStatusCode.Forbidden, $"DELETE /ratings/0 from productpage: {delete}");
            var get = await bookinfo.ProductPage.SendAsync("ratings", "/ratings/0");
            Assert.True(get.Ok, $"GET /ratings/0 from productpage: {get}");
        }
        // The rule names productpage's principal: another workload's identity is not denied.
        var fromReviews = await bookinfo.ReviewsV2.SendAsync("ratings", "/ratings/7", HttpMethod.Delete);
        Assert.True(fromReviews.Ok, $"DELETE /ratings/7 from reviews-v2: {fromReviews}");
    }

    [Fact]
    public async Task DenyPolicy_Removed_DeleteFromProductPageAllowed()
    {
        bookinfo.Mesh.Config.Delete("authorization-policy.yaml");
        await Eventually.UntilAsync(async () => (await bookinfo.ProductPage.SendAsync("ratings", "/ratings/8", HttpMethod.Delete)).Ok,
            Bounds.Converge, () => "DELETE from productpage allowed once the policy is gone\n" + bookinfo.Mesh.Logs());
    }
}
