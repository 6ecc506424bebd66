using System.Globalization;
using System.Text;
using Infrastructure.Discovery.Client.Eureka.Transport;

namespace Infrastructure.Discovery.Client.Eureka.Registry;

/// <summary>
/// The client's copy of the Eureka registry, replaced by full fetches and patched by deltas. Readers see an
/// immutable snapshot of the UP instances per service, swapped atomically after each change.
/// </summary>
internal sealed class LocalRegistry
{
    private readonly object _writeLock = new();
    // APP (upper-case) -> instanceId -> instance; only touched under _writeLock.
    private readonly Dictionary<string, Dictionary<string, InstanceInfo>> _apps = new(StringComparer.OrdinalIgnoreCase);
    private volatile Snapshot _snapshot = Snapshot.Empty;

    /// <summary>Raised after a fetch changed the copy.</summary>
    public event EventHandler? Changed;

    /// <summary>Whether a full fetch has been applied yet.</summary>
    public bool HasFullCopy { get; private set; }

    /// <summary>Every instance currently known, any status.</summary>
    public int InstanceCount
    {
        get
        {
            lock (_writeLock)
            {
                return _apps.Values.Sum(a => a.Count);
            }
        }
    }

    /// <summary>UP instances of a service (case-insensitive).</summary>
    public IReadOnlyList<ServiceInstance> GetUpInstances(string serviceId) =>
        _snapshot.Up.TryGetValue(serviceId, out var list) ? list : [];

    /// <summary>Known service ids, lower-case.</summary>
    public IReadOnlyCollection<string> GetServices() => _snapshot.Services;

    /// <summary>Replaces the whole copy (full fetch).</summary>
    public void ReplaceAll(IReadOnlyList<InstanceInfo> instances)
    {
        lock (_writeLock)
        {
            _apps.Clear();
            foreach (var i in instances)
            {
                Upsert(i);
            }
            HasFullCopy = true;
            Publish(null);
        }
        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>Applies a delta (ADDED/MODIFIED replace, DELETED removes) and returns the resulting hash code.</summary>
    public string ApplyDelta(IReadOnlyList<InstanceInfo> changes)
    {
        string hash;
        lock (_writeLock)
        {
            var touched = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var i in changes)
            {
                touched.Add(i.App);
                if (i.ActionType == ActionType.DELETED)
                {
                    if (_apps.TryGetValue(i.App, out var app) && app.Remove(i.InstanceId) && app.Count == 0)
                    {
                        _apps.Remove(i.App);
                    }
                }
                else
                {
                    Upsert(i);
                }
            }
            if (changes.Count > 0)
            {
                Publish(touched);
            }
            hash = ComputeHashCode(_apps.Values.SelectMany(a => a.Values));
        }
        if (changes.Count > 0)
        {
            Changed?.Invoke(this, EventArgs.Empty);
        }
        return hash;
    }

    /// <summary>The hash code of the current copy, as the server computes <c>apps__hashcode</c>.</summary>
    public string HashCode()
    {
        lock (_writeLock)
        {
            return ComputeHashCode(_apps.Values.SelectMany(a => a.Values));
        }
    }

    /// <summary>
    /// Eureka's reconcile hash: the count of instances per status, statuses in ordinal order, each as
    /// <c>{STATUS}_{count}_</c> (e.g. <c>DOWN_1_UP_3_</c>); empty for an empty registry.
    /// </summary>
    public static string ComputeHashCode(IEnumerable<InstanceInfo> instances)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var i in instances)
        {
            var status = i.Status.ToString();
            counts[status] = counts.GetValueOrDefault(status) + 1;
        }
        var sb = new StringBuilder();
        foreach (var (status, count) in counts)
        {
            sb.Append(status).Append('_').Append(count.ToString(CultureInfo.InvariantCulture)).Append('_');
        }
        return sb.ToString();
    }

    private void Upsert(InstanceInfo i)
    {
        if (!_apps.TryGetValue(i.App, out var app))
        {
            app = new Dictionary<string, InstanceInfo>(StringComparer.Ordinal);
            _apps[i.App] = app;
        }
        app[i.InstanceId] = i with { ActionType = null };
    }

    /// <summary>Swaps in a new snapshot, rebuilding only the touched applications (all when null): a big registry's delta stays cheap.</summary>
    private void Publish(HashSet<string>? touched)
    {
        Dictionary<string, IReadOnlyList<ServiceInstance>> up;
        if (touched is null)
        {
            up = new Dictionary<string, IReadOnlyList<ServiceInstance>>(_apps.Count, StringComparer.OrdinalIgnoreCase);
            foreach (var (name, app) in _apps)
            {
                up[name.ToLowerInvariant()] = UpInstances(app);
            }
        }
        else
        {
            up = new Dictionary<string, IReadOnlyList<ServiceInstance>>(_snapshot.Up, StringComparer.OrdinalIgnoreCase);
            foreach (var name in touched)
            {
                if (_apps.TryGetValue(name, out var app))
                {
                    up[name.ToLowerInvariant()] = UpInstances(app);
                }
                else
                {
                    up.Remove(name);
                }
            }
        }
        _snapshot = new Snapshot(up, up.Keys.ToArray());
    }

    private static ServiceInstance[] UpInstances(Dictionary<string, InstanceInfo> app) => app.Values
        .Where(i => i.Status == InstanceStatus.UP)
        .OrderBy(i => i.InstanceId, StringComparer.Ordinal)
        .Select(i => i.ToServiceInstance())
        .ToArray();

    private sealed record Snapshot(IReadOnlyDictionary<string, IReadOnlyList<ServiceInstance>> Up, IReadOnlyCollection<string> Services)
    {
        public static readonly Snapshot Empty = new(new Dictionary<string, IReadOnlyList<ServiceInstance>>(), []);
    }
}
