using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.Sidecar.Hosting;

namespace Infrastructure.Mesh.Sidecar.Inbound;

/// <summary>Which namespace-scoped policies apply to this workload, as Istio scopes them.</summary>
internal static class WorkloadSelection
{
    /// <summary>Istio's root namespace: a policy there without a selector is mesh-wide.</summary>
    public const string RootNamespace = ResourceTypes.RootNamespace;

    public static string NamespaceOf(MeshResource r) => ResourceTypes.NamespaceOf(r);

    /// <summary>Whether every label of the selector is on the workload (an empty selector selects all).</summary>
    public static bool Selects(WorkloadSelector? selector, IReadOnlyDictionary<string, string> labels) =>
        selector is null || selector.MatchLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value);

    /// <summary>Whether a policy in <paramref name="resource"/>'s namespace with <paramref name="selector"/> applies here.</summary>
    public static bool Applies(MeshResource resource, WorkloadSelector? selector, IReadOnlyDictionary<string, string> labels)
    {
        var ns = NamespaceOf(resource);
        if (ns == RootNamespace)
        {
            // A selector in the root namespace selects workloads in every namespace.
            return Selects(selector, labels);
        }
        return ns == SidecarOptions.Namespace && Selects(selector, labels);
    }
}
