using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.Api;

namespace Infrastructure.Mesh.Sidecar.Xds;

/// <summary>One resource type as last accepted: the set, its version and the nonce of the push that brought it.</summary>
internal sealed record TypeState(string TypeUrl, string Version, string Nonce, IReadOnlyList<MeshResource> Resources, DateTimeOffset AcceptedAt)
{
    public static TypeState Empty(string typeUrl) => new(typeUrl, "", "", [], DateTimeOffset.MinValue);
}

/// <summary>The last NACK of a type: which push and why.</summary>
internal sealed record Rejection(string Version, string Nonce, string Reason, DateTimeOffset At);

/// <summary>An immutable view of every resource in force, swapped as a whole when a push is accepted.</summary>
internal sealed class MeshConfig
{
    public static readonly MeshConfig Empty = new(ResourceTypes.All.ToDictionary(t => t, TypeState.Empty, StringComparer.Ordinal));

    public MeshConfig(IReadOnlyDictionary<string, TypeState> types)
    {
        Types = types;
        VirtualServices = Specs(ResourceTypes.VirtualService, r => r.VirtualService);
        DestinationRules = Specs(ResourceTypes.DestinationRule, r => r.DestinationRule);
        PeerAuthentications = Specs(ResourceTypes.PeerAuthentication, r => r.PeerAuthentication);
        AuthorizationPolicies = Specs(ResourceTypes.AuthorizationPolicy, r => r.AuthorizationPolicy);
    }

    public IReadOnlyDictionary<string, TypeState> Types { get; }

    public IReadOnlyList<(MeshResource Resource, VirtualService Spec)> VirtualServices { get; }

    public IReadOnlyList<(MeshResource Resource, DestinationRule Spec)> DestinationRules { get; }

    public IReadOnlyList<(MeshResource Resource, PeerAuthentication Spec)> PeerAuthentications { get; }

    public IReadOnlyList<(MeshResource Resource, AuthorizationPolicy Spec)> AuthorizationPolicies { get; }

    public MeshConfig With(TypeState state)
    {
        var types = new Dictionary<string, TypeState>(Types, StringComparer.Ordinal) { [state.TypeUrl] = state };
        return new MeshConfig(types);
    }

    private List<(MeshResource, T)> Specs<T>(string type, Func<MeshResource, T?> spec) where T : class =>
        Types.TryGetValue(type, out var s)
            ? s.Resources.Select(r => (r, spec(r))).Where(p => p.Item2 is not null).Select(p => (p.r, p.Item2!)).ToList()
            : [];
}

/// <summary>Holds the config in force, the last rejection per type, and whether every type has been answered once.</summary>
internal sealed class ConfigStore
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Rejection> _rejections = new(StringComparer.Ordinal);
    private readonly HashSet<string> _answered = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _firstPush = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile MeshConfig _current = MeshConfig.Empty;

    /// <summary>The config in force.</summary>
    public MeshConfig Current => _current;

    /// <summary>Completes once every type has had a push (accepted or not).</summary>
    public Task FirstPush => _firstPush.Task;

    /// <summary>Whether the stream to the control plane is up.</summary>
    public bool Connected { get; set; }

    public IReadOnlyDictionary<string, Rejection> Rejections
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, Rejection>(_rejections, StringComparer.Ordinal);
            }
        }
    }

    public void Accept(TypeState state)
    {
        lock (_lock)
        {
            _current = _current.With(state);
            _rejections.Remove(state.TypeUrl);
            Answered(state.TypeUrl);
        }
    }

    public void Reject(string typeUrl, Rejection rejection)
    {
        lock (_lock)
        {
            _rejections[typeUrl] = rejection;
            Answered(typeUrl);
        }
    }

    private void Answered(string typeUrl)
    {
        _answered.Add(typeUrl);
        if (ResourceTypes.All.All(_answered.Contains))
        {
            _firstPush.TrySetResult();
        }
    }
}
