using System.Security.Cryptography;
using Google.Protobuf;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;

namespace Infrastructure.Mesh.ControlPlane.Config;

/// <summary>The resources in force, built from every source's last read, and the ones rejected with their reasons.</summary>
/// <param name="Generation">Counts accepted changes (starts at 1 with the first read).</param>
/// <param name="Resources">The resources in force, ordered by type, namespace, name.</param>
/// <param name="Rejected">Every error of the last read of every source.</param>
internal sealed record ResourceSnapshot(long Generation, IReadOnlyList<MeshResource> Resources, IReadOnlyList<ResourceError> Rejected)
{
    public static ResourceSnapshot Empty { get; } = new(0, [], []);

    /// <summary>The resources of one type URL.</summary>
    public IEnumerable<MeshResource> OfType(string typeUrl) => Resources.Where(r => ResourceTypes.TypeUrlOf(r) == typeUrl);
}

/// <summary>
/// Keeps the last good resources of each source (a file, or the Config.Server property) and merges them.
/// The unit of rejection is the resource: when a document is rejected, the version of that resource (same kind,
/// namespace and name) last accepted from the same source stays in force and the rest of the file is taken; when a whole
/// file cannot be read (not YAML), everything last accepted from it stays. A resource removed from its file is removed.
/// When two sources define the same resource, the one whose source sorts first wins and the other is rejected.
/// </summary>
internal sealed class ResourceStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SourceState> _sources = new(StringComparer.Ordinal);
    private ResourceSnapshot _current = ResourceSnapshot.Empty;
    private string _contentHash = "";

    /// <summary>Raised (outside the lock) after the resources in force or the rejections changed.</summary>
    public event Action<ResourceSnapshot>? Changed;

    public ResourceSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Applies the new reads of some sources and removes the given ones; returns whether anything changed.</summary>
    public bool Apply(IReadOnlyDictionary<string, ResourceReadResult> reads, IEnumerable<string> removed)
    {
        ResourceSnapshot? changed = null;
        lock (_lock)
        {
            foreach (var source in removed)
            {
                _sources.Remove(source);
            }
            foreach (var (source, read) in reads)
            {
                _sources.TryGetValue(source, out var previous);
                _sources[source] = Merge(previous, read);
            }
            var next = Build();
            var hash = Hash(next.Resources, next.Rejected);
            if (hash != _contentHash || _current.Generation == 0)
            {
                _contentHash = hash;
                _current = next with { Generation = _current.Generation + 1 };
                changed = _current;
            }
        }
        if (changed is not null)
        {
            Changed?.Invoke(changed);
        }
        return changed is not null;
    }

    /// <summary>The sources known now (to find the ones gone on a rescan).</summary>
    public IReadOnlyCollection<string> SourcesStartingWith(string prefix)
    {
        lock (_lock)
        {
            return _sources.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        }
    }

    private static SourceState Merge(SourceState? previous, ResourceReadResult read)
    {
        if (read.FileError)
        {
            return new SourceState(previous?.Good ?? [], read.Errors);
        }
        var good = read.Resources.ToList();
        if (previous is not null)
        {
            var accepted = good.Select(ResourceTypes.Describe).ToHashSet(StringComparer.Ordinal);
            var rejected = read.Errors.Select(e => e.Resource).ToHashSet(StringComparer.Ordinal);
            good.AddRange(previous.Good.Where(old =>
            {
                var name = ResourceTypes.Describe(old);
                return rejected.Contains(name) && !accepted.Contains(name);
            }));
        }
        return new SourceState(good, read.Errors);
    }

    private ResourceSnapshot Build()
    {
        var byName = new Dictionary<string, MeshResource>(StringComparer.Ordinal);
        var rejected = new List<ResourceError>();
        foreach (var (source, state) in _sources.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            rejected.AddRange(state.Errors);
            foreach (var resource in state.Good)
            {
                var name = ResourceTypes.Describe(resource);
                if (byName.TryGetValue(name, out var first))
                {
                    rejected.Add(new ResourceError(source, name, "metadata.name", $"{name} is already defined in {first.Source}"));
                    continue;
                }
                byName[name] = resource;
            }
        }
        var resources = byName.Values
            .OrderBy(r => ResourceTypes.All.ToList().IndexOf(ResourceTypes.TypeUrlOf(r)))
            .ThenBy(r => r.Metadata.Namespace, StringComparer.Ordinal)
            .ThenBy(r => r.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        return new ResourceSnapshot(0, resources, rejected);
    }

    private static string Hash(IReadOnlyList<MeshResource> resources, IReadOnlyList<ResourceError> rejected)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var r in resources)
        {
            sha.AppendData(r.ToByteArray());
        }
        foreach (var e in rejected)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(e.ToString()));
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private sealed record SourceState(IReadOnlyList<MeshResource> Good, IReadOnlyList<ResourceError> Errors);
}
