namespace Infrastructure.Mesh.Api.Resources;

/// <summary>The four resource kinds the mesh supports: their kinds, the apiVersions accepted and the type URLs pushed.</summary>
public static class ResourceTypes
{
    /// <summary>Type URL of VirtualService.</summary>
    public const string VirtualService = "networking.istio.io/v1/VirtualService";

    /// <summary>Type URL of DestinationRule.</summary>
    public const string DestinationRule = "networking.istio.io/v1/DestinationRule";

    /// <summary>Type URL of PeerAuthentication.</summary>
    public const string PeerAuthentication = "security.istio.io/v1/PeerAuthentication";

    /// <summary>Type URL of AuthorizationPolicy.</summary>
    public const string AuthorizationPolicy = "security.istio.io/v1/AuthorizationPolicy";

    /// <summary>Every type URL, in the order a proxy asks for them.</summary>
    public static IReadOnlyList<string> All { get; } = [VirtualService, DestinationRule, PeerAuthentication, AuthorizationPolicy];

    /// <summary>The namespace a resource without one lives in.</summary>
    public const string DefaultNamespace = "default";

    /// <summary>Istio's root namespace: a PeerAuthentication or AuthorizationPolicy there without a selector applies to the whole mesh.</summary>
    public const string RootNamespace = "istio-system";

    private static readonly HashSet<string> NetworkingVersions = ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"];
    private static readonly HashSet<string> SecurityVersions = ["security.istio.io/v1", "security.istio.io/v1beta1"];

    /// <summary>The type URL of a kind, or null for a kind the mesh does not support.</summary>
    public static string? TypeUrlOfKind(string kind) => kind switch
    {
        "VirtualService" => VirtualService,
        "DestinationRule" => DestinationRule,
        "PeerAuthentication" => PeerAuthentication,
        "AuthorizationPolicy" => AuthorizationPolicy,
        _ => null,
    };

    /// <summary>The type URL of a resource, from its spec.</summary>
    public static string TypeUrlOf(MeshResource resource) => resource.SpecCase switch
    {
        MeshResource.SpecOneofCase.VirtualService => VirtualService,
        MeshResource.SpecOneofCase.DestinationRule => DestinationRule,
        MeshResource.SpecOneofCase.PeerAuthentication => PeerAuthentication,
        MeshResource.SpecOneofCase.AuthorizationPolicy => AuthorizationPolicy,
        _ => throw new ArgumentException("The resource has no spec.", nameof(resource)),
    };

    /// <summary>Whether <paramref name="apiVersion"/> is one Istio serves <paramref name="kind"/> under (v1, v1beta1, v1alpha3 for networking; v1, v1beta1 for security).</summary>
    public static bool AcceptsApiVersion(string kind, string apiVersion) => TypeUrlOfKind(kind) switch
    {
        VirtualService or DestinationRule => NetworkingVersions.Contains(apiVersion),
        PeerAuthentication or AuthorizationPolicy => SecurityVersions.Contains(apiVersion),
        _ => false,
    };

    /// <summary>The accepted apiVersions of a kind, for messages.</summary>
    public static IEnumerable<string> ApiVersionsOf(string kind) =>
        TypeUrlOfKind(kind) is VirtualService or DestinationRule ? NetworkingVersions.Order() : SecurityVersions.Order();

    /// <summary>"Kind namespace/name", the way messages name a resource.</summary>
    public static string Describe(MeshResource resource) =>
        $"{resource.Kind} {NamespaceOf(resource)}/{resource.Metadata?.Name}";

    /// <summary>The resource's namespace, <see cref="DefaultNamespace"/> when it has none.</summary>
    public static string NamespaceOf(MeshResource resource) =>
        string.IsNullOrEmpty(resource.Metadata?.Namespace) ? DefaultNamespace : resource.Metadata.Namespace;
}
