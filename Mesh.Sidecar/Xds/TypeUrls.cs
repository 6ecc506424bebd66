namespace Infrastructure.Mesh.Sidecar.Xds;

/// <summary>The resource types the sidecar subscribes to.</summary>
internal static class TypeUrls
{
    public const string VirtualService = "networking.istio.io/v1/VirtualService";
    public const string DestinationRule = "networking.istio.io/v1/DestinationRule";
    public const string PeerAuthentication = "security.istio.io/v1/PeerAuthentication";
    public const string AuthorizationPolicy = "security.istio.io/v1/AuthorizationPolicy";

    public static readonly string[] All = [VirtualService, DestinationRule, PeerAuthentication, AuthorizationPolicy];
}
