using System.Net.Http.Headers;
using System.Threading.Channels;

namespace Infrastructure.Discovery.Server.Replication;

/// <summary>One peer: its queue of pending replication tasks and what we last saw of it.</summary>
internal sealed class PeerNode
{
    private volatile PeerNodeStatus _status;

    /// <summary>A peer configured as <paramref name="configuredUrl"/>, which may carry credentials (<c>http://user:password@peer:8761/eureka/</c>).</summary>
    public PeerNode(Uri configuredUrl)
    {
        ServiceUrl = ServiceUrlCredentials.WithoutUserInfo(configuredUrl);
        Authorization = ServiceUrlCredentials.FromUserInfo(configuredUrl);
        _status = new(ServiceUrl, null, null, null, null);
    }

    // Bounded so a long-dead peer cannot grow memory without end; heartbeats repair what is dropped.
    public Channel<ReplicationTask> Queue { get; } = Channel.CreateBounded<ReplicationTask>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>The peer's URL without user info: what is requested, shown on the dashboard and logged.</summary>
    public Uri ServiceUrl { get; }

    /// <summary>HTTP Basic from the configured URL's user info, sent with every call; null when it has none.</summary>
    public AuthenticationHeaderValue? Authorization { get; }

    public PeerNodeStatus Status => _status;

    public void Succeeded(DateTimeOffset now) => _status = _status with { Reachable = true, LastSuccess = now };

    /// <summary>Records a failure; true when it differs from the last one (worth a log line, where a repeat is not).</summary>
    public bool Failed(DateTimeOffset now, string error)
    {
        var before = _status;
        _status = before with { Reachable = false, LastFailure = now, LastError = error };
        return before.Reachable != false || before.LastError != error;
    }
}
