using System.Threading.Channels;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;

namespace Infrastructure.Mesh.ControlPlane.Push;

/// <summary>Where one resource type stands with one proxy: what was sent, what was ACKed, the last NACK.</summary>
internal sealed class TypeState
{
    public bool Subscribed { get; set; }
    public bool ForcePush { get; set; }
    public string? SentVersion { get; set; }
    public string? SentNonce { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public int SentCount { get; set; }
    public string? AckedVersion { get; set; }
    public string? AckedNonce { get; set; }
    public string? NackError { get; set; }
    public string? NackedVersion { get; set; }

    /// <summary>istioctl proxy-status's words: SYNCED, NOT SENT, STALE.</summary>
    public string Status =>
        SentNonce is null ? SyncStatus.NotSent
        : AckedNonce == SentNonce && NackError is null ? SyncStatus.Synced
        : SyncStatus.Stale;
}

/// <summary>The sync states istioctl proxy-status shows.</summary>
internal static class SyncStatus
{
    public const string Synced = "SYNCED";
    public const string Stale = "STALE";
    public const string NotSent = "NOT SENT";
}

/// <summary>One connected sidecar's stream: its node, per-type state, and the signal that wakes its writer.</summary>
internal sealed class ProxyConnection(string connectionId, DateTimeOffset connectedAt, string peer)
{
    private readonly Dictionary<string, TypeState> _types = ResourceTypes.All.ToDictionary(t => t, _ => new TypeState(), StringComparer.Ordinal);

    public string ConnectionId { get; } = connectionId;
    public DateTimeOffset ConnectedAt { get; } = connectedAt;
    public string Peer { get; } = peer;
    public Lock Gate { get; } = new();
    public Node Node { get; set; } = new();

    /// <summary>Wakes the writer: a type was subscribed or the resources changed. One pending signal is enough.</summary>
    public Channel<bool> Wake { get; } = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>The state of a type URL; call under <see cref="Gate"/>.</summary>
    public TypeState Type(string typeUrl) => _types[typeUrl];

    public IReadOnlyDictionary<string, TypeState> Types => _types;

    public void Signal() => Wake.Writer.TryWrite(true);
}
