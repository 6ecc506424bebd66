using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.Sidecar.Hosting;
using Infrastructure.Mesh.Sidecar.Xds;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Infrastructure.Mesh.Sidecar.Tests.Xds;

public class XdsClientTests
{
    private static (XdsClient Client, ConfigStore Store) Create()
    {
        var options = Options.Create(new SidecarOptions { AppName = "productpage", AppPort = 9080 });
        var store = new ConfigStore();
        var client = new XdsClient(new ControlPlaneChannel(options), store, new WorkloadIdentity(options), TimeProvider.System, NullLogger<XdsClient>.Instance);
        return (client, store);
    }

    private static DiscoveryResponse Push(string version, string nonce, string uriRegex)
    {
        var vs = new VirtualService();
        vs.Hosts.Add("reviews");
        var rule = new HTTPRoute();
        rule.Match.Add(new HTTPMatchRequest { Uri = new StringMatch { Regex = uriRegex } });
        rule.Route.Add(new HTTPRouteDestination { Destination = new Destination { Host = "reviews" } });
        vs.Http.Add(rule);
        var response = new DiscoveryResponse { TypeUrl = ResourceTypes.VirtualService, VersionInfo = version, Nonce = nonce };
        response.Resources.Add(new MeshResource
        {
            ApiVersion = "networking.istio.io/v1",
            Kind = "VirtualService",
            Metadata = new ObjectMeta { Name = "reviews", Namespace = "default" },
            VirtualService = vs,
        });
        return response;
    }

    [Fact]
    public void Handle_ValidPush_AcksWithItsVersionAndNonce()
    {
        var (client, store) = Create();
        var ack = client.Handle(Push("v1", "n1", "/reviews/[0-9]+"));
        Assert.Equal("v1", ack.VersionInfo);
        Assert.Equal("n1", ack.ResponseNonce);
        Assert.Null(ack.ErrorDetail);
        Assert.Single(store.Current.VirtualServices);
    }

    [Fact]
    public void Handle_UncompilableRegex_NacksAndKeepsThePreviousSet()
    {
        var (client, store) = Create();
        client.Handle(Push("v1", "n1", "/reviews/[0-9]+"));
        var nack = client.Handle(Push("v2", "n2", "/reviews/[0-9"));
        Assert.Equal("v1", nack.VersionInfo);
        Assert.Equal("n2", nack.ResponseNonce);
        Assert.NotNull(nack.ErrorDetail);
        Assert.Contains("regex", nack.ErrorDetail.Message, StringComparison.Ordinal);
        Assert.Equal("v1", store.Current.Types[ResourceTypes.VirtualService].Version);
        Assert.Equal("/reviews/[0-9]+", store.Current.VirtualServices[0].Spec.Http[0].Match[0].Uri.Regex);
        Assert.Equal("v2", store.Rejections[ResourceTypes.VirtualService].Version);
    }

    [Fact]
    public void Handle_EveryTypeAnswered_CompletesTheFirstPush()
    {
        var (client, store) = Create();
        foreach (var type in ResourceTypes.All)
        {
            Assert.False(store.FirstPush.IsCompleted);
            client.Handle(new DiscoveryResponse { TypeUrl = type, VersionInfo = "1", Nonce = type });
        }
        Assert.True(store.FirstPush.IsCompleted);
    }
}
