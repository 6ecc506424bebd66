using System.Collections.Concurrent;
using System.Text;
using Infrastructure.Discovery.Server.Replication;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Registry;

/// <summary>Outcome of a renew, mirroring Eureka's instance resource answers.</summary>
internal enum RenewResult
{
    Ok,
    NotFound,
    /// <summary>A replica sent an older dirty timestamp than ours: the peer should take our copy.</summary>
    Conflict,
}

/// <summary>
/// The in-memory registry (instances by application, leases, status overrides, the recently-changed queue), peer-aware
/// as Eureka's <c>PeerAwareInstanceRegistryImpl</c>: a write is applied, forwarded to the peers unless a peer sent it,
/// then announced through <see cref="Changed"/>. Eureka and Consul handlers and peer replication all write through here,
/// so this file alone decides what is replicated.
/// </summary>
internal sealed class InstanceRegistry
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Lease>> _apps = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, InstanceStatus> _overriddenStatus = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecentChange> _recentlyChanged = new();
    // Writes that touch the delta queue are serialised so the queue order matches the registry's history.
    private readonly Lock _write = new();
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<EurekaServerOptions> _options;
    private readonly IPeerReplicator _peers;
    private long _deltaVersion;
    private int _expectedNumberOfClientsSendingRenews;
    private int _numberOfRenewsPerMinThreshold;

    /// <summary>A registry replicating to <paramref name="peers"/>; without them it stands alone.</summary>
    public InstanceRegistry(TimeProvider time, IOptionsMonitor<EurekaServerOptions> options, IPeerReplicator? peers = null)
    {
        _time = time;
        _options = options;
        _peers = peers ?? new NullPeerReplicator();
        RenewsLastMinute = new MeasuredRate(time);
        StartedAt = time.GetUtcNow();
    }

    /// <summary>Raised after any change with the affected application name (upper-case); empty for delta-queue housekeeping.</summary>
    public event Action<string>? Changed;

    public DateTimeOffset StartedAt { get; }

    public MeasuredRate RenewsLastMinute { get; }

    public int ExpectedNumberOfClientsSendingRenews => Volatile.Read(ref _expectedNumberOfClientsSendingRenews);

    public int NumberOfRenewsPerMinThreshold => Volatile.Read(ref _numberOfRenewsPerMinThreshold);

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public int Count
    {
        get
        {
            var n = 0;
            foreach (var app in _apps.Values)
            {
                n += app.Count;
            }
            return n;
        }
    }

    /// <summary>Registers or refreshes an instance (Eureka's <c>register</c>); forwarded as received unless a peer sent it.</summary>
    public void Register(InstanceInfo registrant, bool isReplication)
    {
        var now = Now;
        lock (_write)
        {
            var gMap = _apps.GetOrAdd(registrant.App, _ => new ConcurrentDictionary<string, Lease>(StringComparer.Ordinal));
            gMap.TryGetValue(registrant.InstanceId, out var existing);
            var r = registrant;
            if (existing is not null)
            {
                // Keep the copy with the newer dirty timestamp: a stale replica must not overwrite a fresh registration.
                if (existing.Holder.LastDirtyTimestamp > registrant.LastDirtyTimestamp)
                {
                    r = existing.Holder;
                }
            }
            else
            {
                Interlocked.Increment(ref _expectedNumberOfClientsSendingRenews);
                UpdateRenewsPerMinThreshold();
            }

            var lease = new Lease(r, now);
            if (existing is not null)
            {
                lease.ServiceUpTimestamp = existing.ServiceUpTimestamp;
            }

            if (r.OverriddenStatus != InstanceStatus.UNKNOWN)
            {
                _overriddenStatus.TryAdd(r.InstanceId, r.OverriddenStatus);
            }
            if (_overriddenStatus.TryGetValue(r.InstanceId, out var fromMap))
            {
                r = r with { OverriddenStatus = fromMap };
            }
            var status = OverriddenInstanceStatus(r, existing, isReplication);
            r = r with { Status = status, ActionType = ActionType.ADDED, LastUpdatedTimestamp = now };
            lease.Holder = r;
            if (status == InstanceStatus.UP)
            {
                lease.ServiceUp(now);
            }
            gMap[r.InstanceId] = lease;
            Enqueue(lease, now);
        }
        Publish(registrant.App, isReplication,
            () => new ReplicationTask(ReplicationAction.Register, registrant.App, registrant.InstanceId) { Instance = registrant });
    }

    /// <summary>
    /// Renews a lease (Eureka's <c>renew</c> plus the instance resource's dirty-timestamp check); an accepted renew is
    /// forwarded as a heartbeat carrying our copy's status and dirty timestamp unless a peer sent it.
    /// </summary>
    public RenewResult Renew(string app, string id, bool isReplication, long? lastDirtyTimestamp = null, InstanceStatus? overriddenStatus = null)
    {
        if (!TryGetLease(app, id, out var lease))
        {
            return RenewResult.NotFound;
        }
        var info = lease.Holder;
        if (isReplication && overriddenStatus is { } o && o != InstanceStatus.UNKNOWN && !_overriddenStatus.ContainsKey(id))
        {
            _overriddenStatus[id] = o;
        }
        var status = OverriddenInstanceStatus(info, lease, isReplication);
        if (status == InstanceStatus.UNKNOWN)
        {
            // An instance whose override was removed without a new status must re-register to say what it is.
            return RenewResult.NotFound;
        }
        var changed = false;
        if (info.Status != status)
        {
            lock (_write)
            {
                lease.Holder = lease.Holder with { Status = status };
            }
            changed = true;
        }
        RenewsLastMinute.Increment();
        lease.Renew(Now);
        var result = CompareDirtyTimestamp(lease, lastDirtyTimestamp, isReplication);
        if (!changed && (isReplication || result != RenewResult.Ok || !_peers.HasPeers))
        {
            // The common renew: nothing to announce or forward, so no closure is allocated for it.
            return result;
        }
        // Only an accepted renew goes on: a 404 or 409 is the sender's to repair, not the other peers'.
        Publish(changed ? info.App : null, isReplication, result != RenewResult.Ok ? null : Heartbeat(app, id));
        return result;
    }

    /// <summary>The heartbeat forwarded for an accepted renew; a method of its own so a renew that forwards nothing allocates no closure.</summary>
    private Func<ReplicationTask?> Heartbeat(string app, string id) => () =>
        TryGetLease(app, id, out var current)
            ? new ReplicationTask(ReplicationAction.Heartbeat, current.Holder.App, id)
            {
                Status = current.Holder.Status,
                OverriddenStatus = current.Holder.OverriddenStatus,
                LastDirtyTimestamp = current.Holder.LastDirtyTimestamp,
            }
            : null;

    /// <summary>The instance resource's answer to a renew carrying the sender's dirty timestamp.</summary>
    private static RenewResult CompareDirtyTimestamp(Lease lease, long? lastDirtyTimestamp, bool isReplication)
    {
        if (lastDirtyTimestamp is { } dirty)
        {
            var ours = lease.Holder.LastDirtyTimestamp;
            if (dirty > ours)
            {
                return RenewResult.NotFound;
            }
            if (dirty < ours && isReplication)
            {
                return RenewResult.Conflict;
            }
        }
        return RenewResult.Ok;
    }

    /// <summary>Removes an instance on its request (Eureka's <c>cancel</c>); lowers the expected renews; forwarded unless a peer sent it.</summary>
    public bool Cancel(string app, string id, bool isReplication)
    {
        if (InternalCancel(app, id) is not { } appName)
        {
            return false;
        }
        if (Interlocked.Decrement(ref _expectedNumberOfClientsSendingRenews) < 0)
        {
            Interlocked.Exchange(ref _expectedNumberOfClientsSendingRenews, 0);
        }
        UpdateRenewsPerMinThreshold();
        Publish(appName, isReplication, () => new ReplicationTask(ReplicationAction.Cancel, app.ToUpperInvariant(), id));
        return true;
    }

    /// <summary>Removes the lease and records it as DELETED; the application's name, or null when there was no such lease.</summary>
    private string? InternalCancel(string app, string id)
    {
        var now = Now;
        lock (_write)
        {
            if (!_apps.TryGetValue(app, out var gMap) || !gMap.TryRemove(id, out var lease))
            {
                return null;
            }
            _overriddenStatus.TryRemove(id, out _);
            lease.Cancel(now);
            lease.Holder = lease.Holder with { ActionType = ActionType.DELETED, LastUpdatedTimestamp = now };
            Enqueue(lease, now);
            return lease.Holder.App;
        }
    }

    /// <summary>Puts a status override (<c>PUT .../status?value=</c>); forwarded unless a peer sent it.</summary>
    public bool StatusUpdate(string app, string id, InstanceStatus newStatus, long? lastDirtyTimestamp, bool isReplication) =>
        Modify(app, id, isReplication, (lease, now) =>
        {
            lease.Renew(now);
            if (newStatus == InstanceStatus.UP)
            {
                lease.ServiceUp(now);
            }
            _overriddenStatus[id] = newStatus;
            var info = lease.Holder;
            return info with { OverriddenStatus = newStatus, Status = newStatus, LastDirtyTimestamp = Newer(lastDirtyTimestamp, info.LastDirtyTimestamp) };
        }, () => new ReplicationTask(ReplicationAction.StatusUpdate, app.ToUpperInvariant(), id) { Status = newStatus, LastDirtyTimestamp = lastDirtyTimestamp });

    /// <summary>
    /// Removes a status override (<c>DELETE .../status[?value=]</c>); the instance takes <paramref name="newStatus"/>.
    /// Forwarded unless a peer sent it, even when there was no override here: a peer may still hold one.
    /// </summary>
    public bool DeleteStatusOverride(string app, string id, InstanceStatus newStatus, long? lastDirtyTimestamp, bool isReplication) =>
        Modify(app, id, isReplication, (lease, now) =>
        {
            lease.Renew(now);
            if (!_overriddenStatus.TryRemove(id, out _))
            {
                return null;
            }
            var info = lease.Holder;
            return info with { OverriddenStatus = InstanceStatus.UNKNOWN, Status = newStatus, LastDirtyTimestamp = Newer(lastDirtyTimestamp, info.LastDirtyTimestamp) };
        }, () => new ReplicationTask(ReplicationAction.DeleteStatusOverride, app.ToUpperInvariant(), id) { Status = newStatus, LastDirtyTimestamp = lastDirtyTimestamp });

    /// <summary>Merges metadata keys into an instance (<c>PUT .../metadata?key=value</c>) and marks it dirty; forwarded unless a peer sent it.</summary>
    public bool UpdateMetadata(string app, string id, IReadOnlyDictionary<string, string> values, bool isReplication = false) =>
        Modify(app, id, isReplication, (lease, now) =>
        {
            var info = lease.Holder;
            var merged = new Dictionary<string, string>(info.Metadata, StringComparer.Ordinal);
            foreach (var (k, v) in values)
            {
                merged[k] = v;
            }
            return info with { Metadata = merged, LastDirtyTimestamp = now };
        }, () => new ReplicationTask(ReplicationAction.Metadata, app.ToUpperInvariant(), id) { Metadata = values });

    /// <summary>
    /// Applies <paramref name="change"/> to a registered instance under the write lock and records the result in the
    /// delta queue as MODIFIED (a null result changes nothing here), then publishes it. False when the instance is unknown.
    /// </summary>
    private bool Modify(string app, string id, bool isReplication, Func<Lease, long, InstanceInfo?> change, Func<ReplicationTask> forward)
    {
        string? changedApp = null;
        var now = Now;
        lock (_write)
        {
            if (!TryGetLease(app, id, out var lease))
            {
                return false;
            }
            if (change(lease, now) is { } updated)
            {
                lease.Holder = updated with { ActionType = ActionType.MODIFIED, LastUpdatedTimestamp = now };
                Enqueue(lease, now);
                changedApp = updated.App;
            }
        }
        Publish(changedApp, isReplication, forward);
        return true;
    }

    /// <summary>
    /// Where every write ends once applied: forwarded to the peers unless a peer sent it (Eureka's <c>replicateToPeers</c>;
    /// so a change never echoes back and forth), then announced to <see cref="Changed"/> subscribers (response cache,
    /// Consul index). <paramref name="forward"/> builds the task only when there is someone to send it to.
    /// </summary>
    private void Publish(string? changedApp, bool isReplication, Func<ReplicationTask?>? forward)
    {
        if (!isReplication && forward is not null && _peers.HasPeers && forward() is { } task)
        {
            _peers.Replicate(task);
        }
        if (changedApp is not null)
        {
            Changed?.Invoke(changedApp);
        }
    }

    private static long Newer(long? given, long ours) => given is { } d && d > ours ? d : ours;

    public bool TryGetInstance(string app, string id, out RegisteredInstance instance)
    {
        if (TryGetLease(app, id, out var lease))
        {
            instance = lease.Snapshot();
            return true;
        }
        instance = default;
        return false;
    }

    public bool TryGetInstanceById(string id, out RegisteredInstance instance)
    {
        foreach (var gMap in _apps.Values)
        {
            if (gMap.TryGetValue(id, out var lease))
            {
                instance = lease.Snapshot();
                return true;
            }
        }
        instance = default;
        return false;
    }

    public ApplicationView? GetApplication(string app)
    {
        if (!_apps.TryGetValue(app, out var gMap))
        {
            return null;
        }
        var instances = gMap.Values.Select(l => l.Snapshot()).OrderBy(i => i.Info.InstanceId, StringComparer.Ordinal).ToList();
        return instances.Count == 0 ? null : new ApplicationView(app.ToUpperInvariant(), instances);
    }

    /// <summary>The full registry (Eureka serves version 1 for a full fetch).</summary>
    public ApplicationsView GetApplications() => Filter(static _ => true);

    /// <summary>Applications whose instances list <paramref name="vip"/> among their comma-separated VIP addresses.</summary>
    public ApplicationsView GetByVip(string vip, bool secure) =>
        Filter(i => (secure ? i.SecureVipAddress : i.VipAddress) is { } v
            && v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(vip, StringComparer.OrdinalIgnoreCase));

    private ApplicationsView Filter(Func<InstanceInfo, bool> include)
    {
        var apps = new List<ApplicationView>();
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, gMap) in _apps.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var instances = gMap.Values.Select(l => l.Snapshot()).Where(i => include(i.Info))
                .OrderBy(i => i.Info.InstanceId, StringComparer.Ordinal).ToList();
            if (instances.Count == 0)
            {
                continue;
            }
            foreach (var i in instances)
            {
                var s = i.Info.Status.ToString();
                counts[s] = counts.GetValueOrDefault(s) + 1;
            }
            apps.Add(new ApplicationView(name.ToUpperInvariant(), instances));
        }
        return new ApplicationsView(1, HashCode(counts), apps);
    }

    /// <summary>Changes still in the recently-changed queue, with the hash code of the whole registry so clients can reconcile.</summary>
    public ApplicationsView GetDelta()
    {
        var byId = new Dictionary<string, RegisteredInstance>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var change in _recentlyChanged)
        {
            var key = change.Instance.Info.App + "\u0000" + change.Instance.Info.InstanceId;
            if (!byId.ContainsKey(key))
            {
                order.Add(key);
            }
            byId[key] = change.Instance;
        }
        var apps = order.Select(k => byId[k]).GroupBy(i => i.Info.App, StringComparer.Ordinal)
            .Select(g => new ApplicationView(g.Key, g.ToList())).ToList();
        return new ApplicationsView(Interlocked.Increment(ref _deltaVersion), CurrentHashCode(), apps);
    }

    /// <summary>The reconcile hash code of the whole registry, counted without copying it.</summary>
    public string CurrentHashCode()
    {
        var counts = new int[Enum.GetValues<InstanceStatus>().Length];
        foreach (var gMap in _apps.Values)
        {
            foreach (var lease in gMap.Values)
            {
                counts[(int)lease.Holder.Status]++;
            }
        }
        return HashCode(Enum.GetValues<InstanceStatus>().Where(s => counts[(int)s] > 0)
            .Select(s => KeyValuePair.Create(s.ToString(), counts[(int)s])));
    }

    /// <summary>Drops recently-changed entries older than the retention time.</summary>
    public void PruneRecentlyChanged()
    {
        var cutoff = Now - _options.CurrentValue.RetentionTimeInMSInDeltaQueue;
        var pruned = false;
        lock (_write)
        {
            while (_recentlyChanged.TryPeek(out var head) && head.Timestamp < cutoff)
            {
                _recentlyChanged.TryDequeue(out _);
                pruned = true;
            }
        }
        if (pruned)
        {
            Changed?.Invoke(string.Empty);
        }
    }

    public int RecentlyChangedCount => _recentlyChanged.Count;

    /// <summary>Whether expired leases may be evicted now (Eureka's <c>isLeaseExpirationEnabled</c>).</summary>
    public bool IsLeaseExpirationEnabled()
    {
        if (!_options.CurrentValue.EnableSelfPreservation)
        {
            return true;
        }
        var threshold = NumberOfRenewsPerMinThreshold;
        return threshold > 0 && RenewsLastMinute.LastMinute() > threshold;
    }

    /// <summary>True when self-preservation is on and renews are below the threshold, so eviction is suspended.</summary>
    public bool IsSelfPreservationActive()
    {
        var threshold = NumberOfRenewsPerMinThreshold;
        return _options.CurrentValue.EnableSelfPreservation && threshold > 0 && RenewsLastMinute.LastMinute() <= threshold;
    }

    /// <summary>
    /// Evicts expired leases unless self-preservation forbids it; at most the share above the threshold goes at once, picked
    /// at random. <paramref name="additionalLeaseMs"/> extends every lease by time the server itself lost (Eureka's compensation).
    /// </summary>
    public IReadOnlyList<RegisteredInstance> Evict(long additionalLeaseMs = 0)
    {
        if (!IsLeaseExpirationEnabled())
        {
            return [];
        }
        var now = Now;
        var expired = new List<Lease>();
        foreach (var gMap in _apps.Values)
        {
            foreach (var lease in gMap.Values)
            {
                if (lease.IsExpired(now, additionalLeaseMs))
                {
                    expired.Add(lease);
                }
            }
        }
        if (expired.Count == 0)
        {
            return [];
        }
        var registrySize = Count;
        var sizeThreshold = (int)(registrySize * _options.CurrentValue.RenewalPercentThreshold);
        var limit = registrySize - sizeThreshold;
        var toEvict = Math.Min(expired.Count, limit);
        if (toEvict <= 0)
        {
            // A RenewalPercentThreshold above 1 leaves no room: Eureka evicts nothing then.
            return [];
        }
        var evicted = new List<RegisteredInstance>(toEvict);
        for (var i = 0; i < toEvict; i++)
        {
            // Random picks spread evictions across applications, as Eureka does.
            var next = i + Random.Shared.Next(expired.Count - i);
            (expired[i], expired[next]) = (expired[next], expired[i]);
            var lease = expired[i];
            var snapshot = lease.Snapshot();
            // Every node evicts on its own clock, as Eureka's do: an eviction is announced but not forwarded.
            if (InternalCancel(snapshot.Info.App, snapshot.Info.InstanceId) is { } appName)
            {
                evicted.Add(snapshot);
                Changed?.Invoke(appName);
            }
        }
        return evicted;
    }

    /// <summary>Periodic recomputation of expected renews from the registry size (Eureka's <c>updateRenewalThreshold</c>).</summary>
    public void UpdateRenewalThreshold()
    {
        var count = Count;
        var o = _options.CurrentValue;
        if (count > ExpectedNumberOfClientsSendingRenews * o.RenewalPercentThreshold || !o.EnableSelfPreservation)
        {
            Volatile.Write(ref _expectedNumberOfClientsSendingRenews, count);
            UpdateRenewsPerMinThreshold();
        }
    }

    private void UpdateRenewsPerMinThreshold()
    {
        var o = _options.CurrentValue;
        var value = (int)(ExpectedNumberOfClientsSendingRenews * (60.0 / o.ExpectedClientRenewalIntervalSeconds) * o.RenewalPercentThreshold);
        Volatile.Write(ref _numberOfRenewsPerMinThreshold, value);
    }

    private bool TryGetLease(string app, string id, out Lease lease)
    {
        if (_apps.TryGetValue(app, out var gMap) && gMap.TryGetValue(id, out var found))
        {
            lease = found;
            return true;
        }
        lease = null!;
        return false;
    }

    private void Enqueue(Lease lease, long now) => _recentlyChanged.Enqueue(new RecentChange(now, lease.Snapshot()));

    /// <summary>Eureka's rules, first match wins: DownOrStarting, OverrideExists, LeaseExists, AlwaysMatch.</summary>
    private InstanceStatus OverriddenInstanceStatus(InstanceInfo r, Lease? existing, bool isReplication)
    {
        if (r.Status is not InstanceStatus.UP and not InstanceStatus.OUT_OF_SERVICE)
        {
            return r.Status;
        }
        if (_overriddenStatus.TryGetValue(r.InstanceId, out var overridden))
        {
            return overridden;
        }
        if (!isReplication && existing is not null && existing.Holder.Status is InstanceStatus.UP or InstanceStatus.OUT_OF_SERVICE)
        {
            return existing.Holder.Status;
        }
        return r.Status;
    }

    /// <summary>Eureka's reconcile hash code: status names in order, each followed by its count, e.g. <c>DOWN_1_UP_3_</c>.</summary>
    internal static string HashCode(IEnumerable<KeyValuePair<string, int>> countsByStatus)
    {
        var sb = new StringBuilder();
        foreach (var (status, count) in countsByStatus.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            sb.Append(status).Append('_').Append(count).Append('_');
        }
        return sb.ToString();
    }

    private readonly record struct RecentChange(long Timestamp, RegisteredInstance Instance);
}
