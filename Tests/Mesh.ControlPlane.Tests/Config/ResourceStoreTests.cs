using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.ControlPlane.Config;
using Infrastructure.Mesh.ControlPlane.Tests.Support;

namespace Infrastructure.Mesh.ControlPlane.Tests.Config;

public sealed class ResourceStoreTests
{
    private static Dictionary<string, ResourceReadResult> Read(string source, string yaml) => new() { [source] = MeshResourceReader.Read(yaml, source) };

    [Fact]
    public void RejectedResource_PreviousVersionKept_OthersUpdated()
    {
        var store = new ResourceStore();
        store.Apply(Read("a.yaml", Yaml.ReviewsSplit(90, 10)), []);

        var changed = store.Apply(Read("a.yaml", Yaml.ReviewsSplit(-1, 10).Replace("{version: v2}", "{version: v9}", StringComparison.Ordinal)), []);

        Assert.True(changed);
        var snapshot = store.Current;
        Assert.Equal(90, snapshot.Resources.Single(r => r.Kind == "VirtualService").VirtualService.Http[0].Route[0].Weight);
        Assert.Equal("v9", snapshot.Resources.Single(r => r.Kind == "DestinationRule").DestinationRule.Subsets[1].Labels["version"]);
        Assert.Single(snapshot.Rejected);
    }

    [Fact]
    public void SameResourceInTwoFiles_FirstSourceWins()
    {
        var store = new ResourceStore();
        var reads = Read("a.yaml", Yaml.ReviewsSplit(90, 10));
        reads["b.yaml"] = MeshResourceReader.Read(Yaml.ReviewsSplit(10, 90), "b.yaml");

        store.Apply(reads, []);

        Assert.Equal("a.yaml", store.Current.Resources[0].Source);
        Assert.Equal(2, store.Current.Rejected.Count);
        Assert.All(store.Current.Rejected, e => Assert.Contains("already defined in a.yaml", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void RemovedFile_ResourcesWithdrawn_SameContent_NoChange()
    {
        var store = new ResourceStore();
        store.Apply(Read("a.yaml", Yaml.ReviewsSplit(90, 10)), []);
        Assert.False(store.Apply(Read("a.yaml", Yaml.ReviewsSplit(90, 10)), []));

        Assert.True(store.Apply(new Dictionary<string, ResourceReadResult>(), ["a.yaml"]));
        Assert.Empty(store.Current.Resources);
    }
}
