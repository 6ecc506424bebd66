using System.Collections.Concurrent;
using Infrastructure.Discovery.Client;

namespace Infrastructure.Gateway.Dashboard;

/// <summary>One instance as the dashboard lists it.</summary>
internal sealed record RegistryInstance(string App, string InstanceId, string Status, Uri BaseUri, DateTimeOffset LastSeenUp);

/// <summary>
/// The registry as the gateway sees it, from the discovery client's cached copy (no network call): the UP instances of every
/// service, plus instances seen UP before that the copy no longer lists as UP (<c>NOT_UP</c>: DOWN, OUT_OF_SERVICE or
/// cancelled — the cached copy keeps only UP ones). Remembering them lets the dashboard heal an instance that was taken out.
/// </summary>
internal sealed class RegistryView(IServiceInstanceProvider provider, TimeProvider time)
{
    public const string Up = "UP";
    public const string NotUp = "NOT_UP";

    /// <summary>How long an instance no longer UP stays listed.</summary>
    private static readonly TimeSpan Forget = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<(string App, string Id), RegistryInstance> _seen = new();

    /// <summary>Every app with its instances, UP ones first, refreshed from the cached copy.</summary>
    public IReadOnlyList<(string App, List<RegistryInstance> Instances)> Snapshot()
    {
        var now = time.GetUtcNow();
        var up = new HashSet<(string, string)>();
        foreach (var app in provider.GetServices())
        {
            foreach (var i in provider.GetInstances(app))
            {
                var key = (app.ToLowerInvariant(), i.InstanceId);
                up.Add(key);
                _seen[key] = new RegistryInstance(key.Item1, i.InstanceId, Up, i.Uri, now);
            }
        }
        var apps = new SortedDictionary<string, List<RegistryInstance>>(StringComparer.Ordinal);
        foreach (var (key, instance) in _seen)
        {
            var current = instance;
            if (!up.Contains(key))
            {
                if (now - instance.LastSeenUp > Forget)
                {
                    _seen.TryRemove(key, out _);
                    continue;
                }
                current = instance with { Status = NotUp };
            }
            if (!apps.TryGetValue(key.App, out var list))
            {
                apps[key.App] = list = [];
            }
            list.Add(current);
        }
        var result = new List<(string, List<RegistryInstance>)>(apps.Count);
        foreach (var (app, list) in apps)
        {
            list.Sort(static (a, b) => a.Status == b.Status ? string.CompareOrdinal(a.InstanceId, b.InstanceId) : a.Status == Up ? -1 : 1);
            result.Add((app, list));
        }
        return result;
    }

    /// <summary>The instance <paramref name="instanceId"/> of <paramref name="app"/>, UP now or seen UP lately; null when unknown.</summary>
    public RegistryInstance? Find(string app, string instanceId)
    {
        foreach (var (name, instances) in Snapshot())
        {
            if (string.Equals(name, app, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var i in instances)
                {
                    if (i.InstanceId == instanceId)
                    {
                        return i;
                    }
                }
            }
        }
        return null;
    }
}
