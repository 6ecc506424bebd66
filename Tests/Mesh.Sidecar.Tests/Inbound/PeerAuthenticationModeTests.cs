using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.Sidecar.Inbound;
using Infrastructure.Mesh.Sidecar.Xds;
using Mode = Infrastructure.Mesh.Api.PeerAuthentication.Types.MutualTLS.Types.Mode;

namespace Infrastructure.Mesh.Sidecar.Tests.Inbound;

public class PeerAuthenticationModeTests
{
    private static readonly Dictionary<string, string> Ratings = new() { ["app"] = "ratings", ["version"] = "v1" };

    private static MeshResource Peer(string name, Mode mode, string ns = "default", Dictionary<string, string>? selector = null)
    {
        var spec = new PeerAuthentication { Mtls = new PeerAuthentication.Types.MutualTLS { Mode = mode } };
        if (selector is not null)
        {
            spec.Selector = new WorkloadSelector();
            spec.Selector.MatchLabels.Add(selector);
        }
        return new MeshResource { Kind = "PeerAuthentication", Metadata = new ObjectMeta { Name = name, Namespace = ns }, PeerAuthentication = spec };
    }

    private static Mode ModeOf(params MeshResource[] resources) =>
        PeerAuthenticationMode.For(AuthorizationEvaluatorTests.With(ResourceTypes.PeerAuthentication, resources), Ratings, 9080);

    [Fact]
    public void For_Nothing_IsPermissive() => Assert.Equal(Mode.Permissive, ModeOf());

    [Fact]
    public void For_RootNamespace_AppliesMeshWide() => Assert.Equal(Mode.Strict, ModeOf(Peer("mesh", Mode.Strict, "istio-system")));

    [Fact]
    public void For_NamespaceOverRoot() =>
        Assert.Equal(Mode.Permissive, ModeOf(Peer("mesh", Mode.Strict, "istio-system"), Peer("ns", Mode.Permissive)));

    [Fact]
    public void For_SelectorOverNamespace() =>
        Assert.Equal(Mode.Strict, ModeOf(Peer("ns", Mode.Permissive), Peer("ratings", Mode.Strict, selector: new() { ["app"] = "ratings" })));

    [Fact]
    public void For_SelectorForAnotherWorkload_IsIgnored() =>
        Assert.Equal(Mode.Permissive, ModeOf(Peer("reviews", Mode.Strict, selector: new() { ["app"] = "reviews" })));

    [Fact]
    public void For_Unset_Inherits() =>
        Assert.Equal(Mode.Disable, ModeOf(Peer("ns", Mode.Disable), Peer("ratings", Mode.Unset, selector: new() { ["app"] = "ratings" })));
}
