using System.Threading.Channels;

namespace Infrastructure.Discovery.Server.Replication;

/// <summary>One peer: its queue of pending replication tasks and what we last saw of it.</summary>
internal sealed class PeerNode(Uri serviceUrl)
{
    // Bounded so a long-dead peer cannot grow memory without end; heartbeats repair what is dropped.
    public Channel<ReplicationTask> Queue { get; } = Channel.CreateBounded<ReplicationTask>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public Uri ServiceUrl { get; } = serviceUrl;

    private volatile PeerNodeStatus _status = new(serviceUrl, null, null, null, null);

    public PeerNodeStatus Status => _status;

    public void Succeeded(DateTimeOffset now) => _status = _status with { Reachable = true, LastSuccess = now };

    public void Failed(DateTimeOffset now, string error) => _status = _status with { Reachable = false, LastFailure = now, LastError = error };
}
