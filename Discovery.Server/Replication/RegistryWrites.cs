using Infrastructure.Discovery.Server.Registry;

namespace Infrastructure.Discovery.Server.Replication;

/// <summary>
/// A client's write applied to the registry and, unless a peer sent it, forwarded to every peer: the one path both the
/// Eureka and the Consul API take, so a registration made through either reaches Eureka peers the same way.
/// </summary>
internal sealed class RegistryWrites(InstanceRegistry registry, IPeerReplicator replicator)
{
    public InstanceRegistry Registry => registry;

    public void Register(InstanceInfo info, bool isReplication)
    {
        registry.Register(info, isReplication);
        if (!isReplication)
        {
            replicator.Replicate(new ReplicationTask(ReplicationAction.Register, info.App, info.InstanceId) { Instance = info });
        }
    }

    public RenewResult Renew(string app, string id, bool isReplication, long? lastDirtyTimestamp = null, InstanceStatus? overriddenStatus = null)
    {
        var result = registry.Renew(app, id, isReplication, lastDirtyTimestamp, overriddenStatus);
        if (result == RenewResult.Ok && !isReplication && replicator.HasPeers && registry.TryGetInstance(app, id, out var current))
        {
            replicator.Replicate(new ReplicationTask(ReplicationAction.Heartbeat, current.Info.App, id)
            {
                Status = current.Info.Status,
                OverriddenStatus = current.Info.OverriddenStatus,
                LastDirtyTimestamp = current.Info.LastDirtyTimestamp,
            });
        }
        return result;
    }

    public bool Cancel(string app, string id, bool isReplication)
    {
        if (!registry.Cancel(app, id, isReplication))
        {
            return false;
        }
        if (!isReplication)
        {
            replicator.Replicate(new ReplicationTask(ReplicationAction.Cancel, app.ToUpperInvariant(), id));
        }
        return true;
    }

    public bool StatusUpdate(string app, string id, InstanceStatus status, long? lastDirtyTimestamp, bool isReplication)
    {
        if (!registry.StatusUpdate(app, id, status, lastDirtyTimestamp, isReplication))
        {
            return false;
        }
        if (!isReplication)
        {
            replicator.Replicate(new ReplicationTask(ReplicationAction.StatusUpdate, app.ToUpperInvariant(), id) { Status = status, LastDirtyTimestamp = lastDirtyTimestamp });
        }
        return true;
    }

    public bool DeleteStatusOverride(string app, string id, InstanceStatus status, long? lastDirtyTimestamp, bool isReplication)
    {
        if (!registry.DeleteStatusOverride(app, id, status, lastDirtyTimestamp, isReplication))
        {
            return false;
        }
        if (!isReplication)
        {
            replicator.Replicate(new ReplicationTask(ReplicationAction.DeleteStatusOverride, app.ToUpperInvariant(), id) { Status = status, LastDirtyTimestamp = lastDirtyTimestamp });
        }
        return true;
    }

    public bool UpdateMetadata(string app, string id, IReadOnlyDictionary<string, string> values, bool isReplication)
    {
        if (!registry.UpdateMetadata(app, id, values))
        {
            return false;
        }
        if (!isReplication)
        {
            replicator.Replicate(new ReplicationTask(ReplicationAction.Metadata, app.ToUpperInvariant(), id) { Metadata = values });
        }
        return true;
    }
}
