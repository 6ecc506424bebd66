namespace Infrastructure.Discovery.Server.Replication;

/// <summary>
/// The peers this node replicates to and their queues (Eureka's <c>PeerEurekaNodes</c>): the registry enqueues here,
/// <see cref="PeerReplicator"/> fills the set once the server listens and drains each queue. Kept apart from the
/// worker so the registry can hold it without the worker, which reads and writes the registry, holding the registry back.
/// </summary>
internal sealed class PeerNodes : IPeerReplicator
{
    private volatile PeerNode[] _nodes = [];

    /// <summary>The peers, empty until <see cref="Start"/>.</summary>
    public IReadOnlyList<PeerNode> Nodes => _nodes;

    public IReadOnlyList<PeerNodeStatus> Peers => _nodes.Select(p => p.Status).ToList();

    public bool HasPeers => _nodes.Length > 0;

    /// <summary>Sets the peers; changes made before this are not queued for anyone, as no peer was known yet.</summary>
    public void Start(IEnumerable<PeerNode> nodes) => _nodes = nodes.ToArray();

    public void Replicate(ReplicationTask task)
    {
        foreach (var peer in _nodes)
        {
            peer.Queue.Writer.TryWrite(task);
        }
    }
}
