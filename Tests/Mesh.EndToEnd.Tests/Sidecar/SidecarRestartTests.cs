using System.Diagnostics;
using Infrastructure.Hosting.Processes;
using Infrastructure.Mesh.EndToEnd.Tests.Topology;
using Infrastructure.Testing;

namespace Infrastructure.Mesh.EndToEnd.Tests.Sidecar;

/// <summary>A sidecar killed with SIGKILL and started again by hand, with the same command line, rejoins the mesh and syncs.</summary>
[Collection(BookinfoCollection.Name)]
public sealed class SidecarRestartTests(BookinfoFixture bookinfo) : IAsyncLifetime
{
    public Task InitializeAsync() => bookinfo.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task KilledSidecar_RestartedByHand_RejoinsAndSyncs()
    {
        // A third ratings instance whose app runs on its own (the sidecar proxies an app started some other way), so
        // killing the sidecar leaves the app alone, as a crashed proxy would.
        var appPort = FreePort.Next();
        var command = BookinfoFixture.RatingsCommand();
        var spec = new ProcessSpec(command[0], command[1..]) { WorkingDirectory = RepoPaths.Root };
        spec.Environment["PORT"] = appPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var app = ChildProcess.Start(spec);
        await app.WaitForUrlAsync(new Uri($"http://127.0.0.1:{appPort}/health"), Bounds.ProcessStart);
        var sidecar = await bookinfo.Mesh.AddAsync("ratings", "v1", command: null, appPort);
        try
        {
            var name = $"ratings@127.0.0.1:{appPort}";
            await ReachedAsync(name);
            await bookinfo.Mesh.WaitSyncedAsync();

            await sidecar.KillAsync();
            Assert.True(sidecar.HasExited);

            var sw = Stopwatch.StartNew();
            await sidecar.StartAsync();
            await bookinfo.Mesh.WaitSyncedAsync();
            Assert.Equal(3, Syncz.SyncedOf(await bookinfo.Mesh.SynczAsync(), "ratings"));
            // It serves again: through it (outbound) and to it (inbound, registered again).
            var outbound = await sidecar.SendAsync("reviews", "/reviews/0");
            Assert.True(outbound.Ok, $"the restarted sidecar's outbound: {outbound}");
            await ReachedAsync(name);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"rejoining took {sw.Elapsed}");
        }
        finally
        {
            await sidecar.DisposeAsync();
        }
    }

    // Round robin over the ratings instances reaches the new one within a few requests once every sidecar knows it.
    private Task ReachedAsync(string instance) =>
        Eventually.UntilAsync(async () => (await bookinfo.ReviewsV2.SendAsync("ratings", "/ratings/0")).Field("instance") == instance,
            Bounds.Converge, () => $"{instance} reached through reviews-v2's sidecar\n" + bookinfo.Mesh.Logs());
}
