using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Sidecar.Xds;
using Mode = Infrastructure.Mesh.Api.PeerAuthentication.Types.MutualTLS.Types.Mode;

namespace Infrastructure.Mesh.Sidecar.Inbound;

/// <summary>
/// The mTLS mode of this workload's inbound port: the PeerAuthentication with a selector matching it, else the
/// namespace's (no selector), else the root namespace's; UNSET inherits the next one; the mesh default is PERMISSIVE.
/// </summary>
internal static class PeerAuthenticationMode
{
    public static Mode For(MeshConfig config, IReadOnlyDictionary<string, string> labels, int port)
    {
        var candidates = config.PeerAuthentications
            .Where(p => WorkloadSelection.Applies(p.Resource, p.Spec.Selector, labels))
            .Select(p => (Rank: Rank(p.Resource, p.Spec), p.Resource, p.Spec))
            // Oldest wins among equals in Istio; here the first by name, which is stable.
            .OrderBy(p => p.Rank)
            .ThenBy(p => p.Resource.Metadata?.Name, StringComparer.Ordinal);
        foreach (var (_, _, spec) in candidates)
        {
            if (spec.Selector is { MatchLabels.Count: > 0 } && spec.PortLevelMtls.TryGetValue((uint)port, out var portMode) && portMode.Mode != Mode.Unset)
            {
                return portMode.Mode;
            }
            var mode = spec.Mtls?.Mode ?? Mode.Unset;
            if (mode != Mode.Unset)
            {
                return mode;
            }
        }
        return Mode.Permissive;
    }

    private static int Rank(MeshResource resource, PeerAuthentication spec)
    {
        var hasSelector = spec.Selector is { MatchLabels.Count: > 0 };
        var root = WorkloadSelection.NamespaceOf(resource) == WorkloadSelection.RootNamespace;
        return (hasSelector, root) switch
        {
            (true, false) => 0,
            (false, false) => 1,
            (true, true) => 2,
            _ => 3,
        };
    }
}
