using Infrastructure.Discovery.Server.Registry;
using Infrastructure.Discovery.Server.Replication;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Registry;

/// <summary>The registry's replication decision: a local write goes to the peers once, a peer's write is applied and goes nowhere.</summary>
public sealed class PeerAwareRegistryTests
{
    // xunit builds the class anew for every test: each starts with an empty registry and nothing sent.
    private readonly RecordingPeers _peers = new();
    private readonly RegistryHarness _h;

    public PeerAwareRegistryTests() => _h = new RegistryHarness(peers: _peers);

    [Fact]
    public void LocalWrites_EveryAction_ReplicatedOnceWithWhatPeersNeed()
    {
        var info = Info("orders", "h1:orders:80", dirty: 1000);

        _h.Registry.Register(info, isReplication: false);
        Assert.Equal(RenewResult.Ok, _h.Registry.Renew("orders", "h1:orders:80", isReplication: false));
        Assert.True(_h.Registry.StatusUpdate("orders", "h1:orders:80", InstanceStatus.OUT_OF_SERVICE, 2000, isReplication: false));
        Assert.True(_h.Registry.DeleteStatusOverride("orders", "h1:orders:80", InstanceStatus.UP, 3000, isReplication: false));
        Assert.True(_h.Registry.UpdateMetadata("orders", "h1:orders:80", new Dictionary<string, string> { ["v"] = "2" }, isReplication: false));
        Assert.True(_h.Registry.Cancel("orders", "h1:orders:80", isReplication: false));

        Assert.Equal(
            [ReplicationAction.Register, ReplicationAction.Heartbeat, ReplicationAction.StatusUpdate,
                ReplicationAction.DeleteStatusOverride, ReplicationAction.Metadata, ReplicationAction.Cancel],
            _peers.Tasks.Select(t => t.Action));
        Assert.All(_peers.Tasks, t => Assert.Equal(("ORDERS", "h1:orders:80"), (t.App, t.Id)));
        Assert.Same(info, _peers.Tasks[0].Instance);
        Assert.Equal((InstanceStatus.UP, 1000L), (_peers.Tasks[1].Status, _peers.Tasks[1].LastDirtyTimestamp));
        Assert.Equal((InstanceStatus.OUT_OF_SERVICE, 2000L), (_peers.Tasks[2].Status, _peers.Tasks[2].LastDirtyTimestamp));
        Assert.Equal((InstanceStatus.UP, 3000L), (_peers.Tasks[3].Status, _peers.Tasks[3].LastDirtyTimestamp));
        Assert.Equal("2", _peers.Tasks[4].Metadata!["v"]);
    }

    [Fact]
    public void PeerWrites_EveryAction_AppliedAndNotReplicatedBack()
    {

        _h.Registry.Register(Info("orders", "h1:orders:80", dirty: 1000), isReplication: true);
        Assert.True(_h.Registry.TryGetInstance("orders", "h1:orders:80", out _));
        Assert.Equal(RenewResult.Ok, _h.Registry.Renew("orders", "h1:orders:80", isReplication: true));
        Assert.True(_h.Registry.StatusUpdate("orders", "h1:orders:80", InstanceStatus.OUT_OF_SERVICE, 2000, isReplication: true));
        Assert.True(_h.Registry.TryGetInstance("orders", "h1:orders:80", out var afterStatus));
        Assert.Equal(InstanceStatus.OUT_OF_SERVICE, afterStatus.Info.Status);
        Assert.True(_h.Registry.DeleteStatusOverride("orders", "h1:orders:80", InstanceStatus.UP, 3000, isReplication: true));
        Assert.True(_h.Registry.UpdateMetadata("orders", "h1:orders:80", new Dictionary<string, string> { ["v"] = "2" }, isReplication: true));
        Assert.True(_h.Registry.TryGetInstance("orders", "h1:orders:80", out var afterMetadata));
        Assert.Equal(InstanceStatus.UP, afterMetadata.Info.Status);
        Assert.Equal("2", afterMetadata.Info.Metadata["v"]);
        Assert.True(_h.Registry.Cancel("orders", "h1:orders:80", isReplication: true));
        Assert.False(_h.Registry.TryGetInstance("orders", "h1:orders:80", out _));

        Assert.Empty(_peers.Tasks);
    }

    [Fact]
    public void LocalWrites_RefusedOrUnknown_NotReplicated()
    {
        _h.Registry.Register(Info("a", "1", dirty: 1000), isReplication: true);

        // The client's copy is newer than ours: it must re-register (404), and nothing is forwarded.
        Assert.Equal(RenewResult.NotFound, _h.Registry.Renew("a", "1", isReplication: false, lastDirtyTimestamp: 2000));
        Assert.Equal(RenewResult.NotFound, _h.Registry.Renew("a", "nope", isReplication: false));
        Assert.False(_h.Registry.Cancel("a", "nope", isReplication: false));
        Assert.False(_h.Registry.StatusUpdate("a", "nope", InstanceStatus.DOWN, null, isReplication: false));
        Assert.False(_h.Registry.DeleteStatusOverride("a", "nope", InstanceStatus.UP, null, isReplication: false));
        Assert.False(_h.Registry.UpdateMetadata("a", "nope", new Dictionary<string, string> { ["v"] = "2" }, isReplication: false));

        Assert.Empty(_peers.Tasks);
    }

    [Fact]
    public void Evict_ExpiredLease_AnnouncedButNotReplicated()
    {
        var peers = new RecordingPeers();
        var h = new RegistryHarness(o => o.EnableSelfPreservation = false, peers);
        h.Registry.Register(Info("a", "1", duration: 90), isReplication: true);
        var changed = new List<string>();
        h.Registry.Changed += changed.Add;

        h.Time.Advance(TimeSpan.FromSeconds(91));
        Assert.Single(h.Registry.Evict());

        Assert.Equal(["A"], changed);
        Assert.Empty(peers.Tasks);
    }

    [Fact]
    public void LocalWrite_Subscribers_SeeItAlreadyQueuedForPeers()
    {
        var queuedWhenAnnounced = new List<int>();
        _h.Registry.Changed += _ => queuedWhenAnnounced.Add(_peers.Tasks.Count);

        _h.Registry.Register(Info("a", "1"), isReplication: false);
        _h.Registry.Cancel("a", "1", isReplication: false);

        Assert.Equal([1, 2], queuedWhenAnnounced);
    }

    private sealed class RecordingPeers : IPeerReplicator
    {
        public List<ReplicationTask> Tasks { get; } = [];

        public IReadOnlyList<PeerNodeStatus> Peers => [];

        public bool HasPeers => true;

        public void Replicate(ReplicationTask task) => Tasks.Add(task);
    }
}
