using System.Threading.Channels;
using Infrastructure.ServiceDefaults;

namespace Infrastructure.Config.Server.Monitor;

/// <summary>In-process fan-out of refresh events to SSE subscribers (the Spring Cloud Bus role, without a broker), with a short replay buffer for reconnects.</summary>
internal sealed partial class RefreshEventBus(ILogger<RefreshEventBus> logger, TimeProvider time)
{
    private const int ReplaySize = 256;
    private readonly Lock _gate = new();
    private readonly LinkedList<RefreshEvent> _recent = new();
    private readonly HashSet<Channel<RefreshEvent>> _subscribers = [];
    private long _nextId;

    public int SubscriberCount
    {
        get { lock (_gate) { return _subscribers.Count; } }
    }

    /// <summary>Publishes one event for the paths' guessed destinations; returns it (null when no destination could be guessed).</summary>
    public RefreshEvent? PublishForPaths(IEnumerable<string> paths, string reason)
    {
        var pathList = paths.Distinct(StringComparer.Ordinal).ToList();
        var destinations = ServiceNameGuesser.Guess(pathList);
        return destinations.Count == 0 ? null : Publish(destinations, pathList, reason);
    }

    public RefreshEvent Publish(IReadOnlyList<string> destinations, IReadOnlyList<string> paths, string reason)
    {
        RefreshEvent e;
        Channel<RefreshEvent>[] targets;
        lock (_gate)
        {
            e = new RefreshEvent(++_nextId, "RefreshRemoteApplicationEvent", time.GetUtcNow().ToUnixTimeMilliseconds(),
                "config-server:" + ServiceIdentity.InstanceId, destinations, paths, reason);
            _recent.AddLast(e);
            if (_recent.Count > ReplaySize)
            {
                _recent.RemoveFirst();
            }
            targets = [.. _subscribers];
        }
        foreach (var t in targets)
        {
            t.Writer.TryWrite(e);
        }
        LogPublished(logger, e.Id, string.Join(",", destinations), reason, targets.Length);
        return e;
    }

    /// <summary>Subscribes; events after <paramref name="lastEventId"/> still in the replay buffer are delivered first.</summary>
    public Channel<RefreshEvent> Subscribe(long? lastEventId)
    {
        var channel = Channel.CreateBounded<RefreshEvent>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            if (lastEventId is { } last)
            {
                foreach (var e in _recent.Where(e => e.Id > last))
                {
                    channel.Writer.TryWrite(e);
                }
            }
            _subscribers.Add(channel);
        }
        return channel;
    }

    public void Unsubscribe(Channel<RefreshEvent> channel)
    {
        lock (_gate)
        {
            _subscribers.Remove(channel);
        }
        channel.Writer.TryComplete();
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Refresh event {Id} for {Destinations} ({Reason}) sent to {Subscribers} subscribers")]
    private static partial void LogPublished(ILogger logger, long id, string destinations, string reason, int subscribers);
}
