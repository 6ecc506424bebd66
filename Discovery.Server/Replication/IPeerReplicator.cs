using Infrastructure.Discovery.Server.Registry;

namespace Infrastructure.Discovery.Server.Replication;

/// <summary>The registry operations forwarded to peers (Eureka's <c>PeerAwareInstanceRegistryImpl.Action</c>).</summary>
internal enum ReplicationAction
{
    Register,
    Heartbeat,
    Cancel,
    StatusUpdate,
    DeleteStatusOverride,
    Metadata,
}

/// <summary>One operation to forward to every peer.</summary>
internal sealed record ReplicationTask(ReplicationAction Action, string App, string Id)
{
    public InstanceInfo? Instance { get; init; }
    public InstanceStatus? Status { get; init; }
    public InstanceStatus? OverriddenStatus { get; init; }
    public long? LastDirtyTimestamp { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>A peer as seen from this node, for the dashboard and health details.</summary>
internal sealed record PeerNodeStatus(Uri ServiceUrl, bool? Reachable, DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure, string? LastError);

/// <summary>Forwards local registry changes to peer nodes.</summary>
internal interface IPeerReplicator
{
    /// <summary>Queues <paramref name="task"/> for every peer; never blocks the caller.</summary>
    void Replicate(ReplicationTask task);

    /// <summary>Peers and their reachability.</summary>
    IReadOnlyList<PeerNodeStatus> Peers { get; }

    /// <summary>Whether there is any peer to replicate to (lets the hot renew path skip building a task).</summary>
    bool HasPeers { get; }
}

/// <summary>A standalone node: nothing to replicate to.</summary>
internal sealed class NullPeerReplicator : IPeerReplicator
{
    public void Replicate(ReplicationTask task)
    {
    }

    public IReadOnlyList<PeerNodeStatus> Peers => [];

    public bool HasPeers => false;
}
