using Infrastructure.Testing;

namespace Infrastructure.Mesh.EndToEnd.Tests.Topology;

/// <summary>
/// Bookinfo on one mesh, shared by the tests of <see cref="BookinfoCollection"/>: productpage (Python), reviews v1 and v2
/// (Node.js), two ratings instances (.NET), each behind its own sidecar, and a loopback Zipkin collector the sidecars
/// export their spans to. Each test starts from the samples' configuration (<see cref="ResetAsync"/>).
/// </summary>
public sealed class BookinfoFixture : IAsyncLifetime
{
    private int _resets;

    internal MeshHost Mesh { get; private set; } = null!;

    internal ZipkinCollector Zipkin { get; private set; } = null!;

    internal Workload ProductPage { get; private set; } = null!;

    internal Workload ReviewsV1 { get; private set; } = null!;

    internal Workload ReviewsV2 { get; private set; } = null!;

    internal Workload RatingsA { get; private set; } = null!;

    internal Workload RatingsB { get; private set; } = null!;

    public static string SampleFile(params string[] parts) => Path.Combine([RepoPaths.Root, "Samples", "Mesh", .. parts]);

    internal static string[] ProductPageCommand() => ["python3", SampleFile("productpage", "productpage.py")];

    internal static string[] ReviewsCommand(int port, string version) =>
        ["node", SampleFile("reviews", "reviews.js"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), version];

    internal static string[] RatingsCommand() => ["dotnet", RepoPaths.ProjectDll(Path.Combine("Samples", "Mesh", "Ratings"), "Ratings")];

    public async Task InitializeAsync()
    {
        Zipkin = await ZipkinCollector.StartAsync();
        Mesh = await MeshHost.StartAsync(zipkin: Zipkin.Endpoint);
        try
        {
            // All at once: each sidecar holds its app until it is ready, so the order does not matter.
            var v1Port = FreePort.Next();
            var v2Port = FreePort.Next();
            var productPage = Mesh.AddAsync("productpage", "v1", ProductPageCommand());
            var reviewsV1 = Mesh.AddAsync("reviews", "v1", ReviewsCommand(v1Port, "v1"), v1Port);
            var reviewsV2 = Mesh.AddAsync("reviews", "v2", ReviewsCommand(v2Port, "v2"), v2Port);
            var ratingsA = Mesh.AddAsync("ratings", "v1", RatingsCommand());
            var ratingsB = Mesh.AddAsync("ratings", "v1", RatingsCommand());
            await Task.WhenAll(productPage, reviewsV1, reviewsV2, ratingsA, ratingsB);
            (ProductPage, ReviewsV1, ReviewsV2, RatingsA, RatingsB) = (productPage.Result, reviewsV1.Result, reviewsV2.Result, ratingsA.Result, ratingsB.Result);
            await ResetAsync();
        }
        catch (Exception e)
        {
            var logs = Mesh.Logs();
            await DisposeAsync();
            throw new InvalidOperationException("Bookinfo did not come up:\n" + logs, e);
        }
    }

    /// <summary>
    /// Puts the samples' configuration back and waits until it serves: reviews answers v1 through productpage's
    /// sidecar, and both ratings instances answer through reviews-v2's.
    /// </summary>
    internal async Task ResetAsync()
    {
        Mesh.Config.Reset();
        // A resource only this reset writes: once the control plane holds it and every sidecar ACKed, the samples' set is in force everywhere.
        var marker = "reset-" + Interlocked.Increment(ref _resets).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Mesh.Config.Write("reset-marker.yaml", MeshConfig.Marker(marker));
        await Mesh.WaitSyncedAsync($"\"{marker}\"");
        await Eventually.UntilAsync(async () => (await ProductPage.SendAsync("reviews", "/reviews/0")).Field("version") == "v1",
            Bounds.Converge, () => "reviews v1 through productpage's sidecar\n" + Mesh.Logs());
        var seen = new HashSet<string>();
        await Eventually.UntilAsync(async () =>
        {
            if ((await ReviewsV2.SendAsync("ratings", "/ratings/0")).Field("instance") is { } i) { seen.Add(i); }
            return seen.Count == 2;
        }, Bounds.Converge, () => $"both ratings instances through reviews-v2's sidecar (seen {string.Join(", ", seen)})\n" + Mesh.Logs());
    }

    /// <summary>
    /// Writes reviews' weights (<paramref name="v1"/>/<paramref name="v2"/>) and waits until productpage's sidecar, the
    /// one that routes, gives an answer from <paramref name="expect"/>; returns how long that took after the write.
    /// </summary>
    internal Task<TimeSpan> RouteReviewsAsync(int v1, int v2, string expect)
    {
        Mesh.Config.Write("reviews.yaml", MeshConfig.ReviewsSplit(v1, v2));
        return Eventually.UntilAsync(async () => (await ProductPage.SendAsync("reviews", "/reviews/0")).Field("version") == expect,
            Bounds.Converge, () => $"reviews answering {expect} through productpage's sidecar once the weights are {v1}/{v2}\n" + Mesh.Logs());
    }

    public async Task DisposeAsync()
    {
        if (Mesh is not null) { await Mesh.DisposeAsync(); }
        if (Zipkin is not null) { await Zipkin.DisposeAsync(); }
    }
}

/// <summary>The tests that share one Bookinfo mesh; they run one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class BookinfoCollection : ICollectionFixture<BookinfoFixture>
{
    public const string Name = "bookinfo";
}
