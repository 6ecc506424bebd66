using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;

namespace Infrastructure.Mesh.ControlPlane.Push;

/// <summary>
/// Which resources a proxy needs (Istio's sidecar scoping, simplified): every VirtualService and DestinationRule (the mesh is
/// one namespace, <c>default</c>); a PeerAuthentication or AuthorizationPolicy only when it is in the root namespace
/// (<c>istio-system</c>) or the proxy's namespace and it has no selector or its selector matches the proxy's labels.
/// </summary>
internal static class ProxyScope
{
    public static IEnumerable<MeshResource> Select(IEnumerable<MeshResource> resources, Node node)
    {
        var ns = string.IsNullOrEmpty(node.Namespace) ? ResourceTypes.DefaultNamespace : node.Namespace;
        foreach (var resource in resources)
        {
            var selector = resource.SpecCase switch
            {
                MeshResource.SpecOneofCase.PeerAuthentication => resource.PeerAuthentication.Selector,
                MeshResource.SpecOneofCase.AuthorizationPolicy => resource.AuthorizationPolicy.Selector,
                _ => null,
            };
            if (resource.SpecCase is MeshResource.SpecOneofCase.VirtualService or MeshResource.SpecOneofCase.DestinationRule)
            {
                yield return resource;
                continue;
            }
            var resourceNs = ResourceTypes.NamespaceOf(resource);
            if ((resourceNs == ns || resourceNs == ResourceTypes.RootNamespace) && Matches(selector, node.Labels))
            {
                yield return resource;
            }
        }
    }

    /// <summary>Whether a workload selector selects a workload with these labels (no selector, or no labels in it, selects all).</summary>
    public static bool Matches(WorkloadSelector? selector, IReadOnlyDictionary<string, string> labels) =>
        selector is null || selector.MatchLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value);

    /// <summary>The same, for a protobuf map.</summary>
    public static bool Matches(WorkloadSelector? selector, Google.Protobuf.Collections.MapField<string, string> labels) =>
        selector is null || selector.MatchLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value);
}
