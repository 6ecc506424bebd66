using System.Text.Json.Nodes;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.ControlPlane.Tests.Support;

namespace Infrastructure.Mesh.ControlPlane.Tests.Push;

public sealed class StreamResourcesTests
{
    private static async Task<JsonNode> TypeStatusAsync(ControlPlaneHost host, string proxyId, string kind, Func<JsonNode, bool> condition)
    {
        var syncz = await Eventually.ReturnsAsync(
            () => host.GetJsonAsync("/debug/syncz"),
            s => s.AsArray().FirstOrDefault(p => (string?)p!["proxy"] == proxyId)?["types"]?[kind] is { } t && condition(t),
            what: $"{proxyId} {kind} in syncz");
        return syncz.AsArray().First(p => (string?)p!["proxy"] == proxyId)!["types"]![kind]!;
    }

    [Fact]
    public async Task Subscribe_FirstPush_AckMakesSynced()
    {
        await using var host = new ControlPlaneHost();
        host.Write("reviews.yaml", Yaml.ReviewsSplit(90, 10));
        using var channel = host.Channel();
        await using var proxy = new ProxyStream(channel, "productpage", "pp-1", new Dictionary<string, string> { ["version"] = "v1" });

        await proxy.SubscribeAsync(ResourceTypes.VirtualService);
        var push = await proxy.NextAsync(ResourceTypes.VirtualService);

        Assert.Equal("reviews", Assert.Single(push.Resources).Metadata.Name);
        Assert.Equal(90, push.Resources[0].VirtualService.Http[0].Route[0].Weight);
        Assert.NotEmpty(push.VersionInfo);
        Assert.NotEmpty(push.Nonce);
        Assert.Equal("test-istiod", push.ControlPlaneIdentifier);
        var sent = await TypeStatusAsync(host, "productpage~pp-1", "VirtualService", t => (string?)t["status"] == "STALE");
        Assert.Equal(push.VersionInfo, (string?)sent["sentVersion"]);
        var notSent = await TypeStatusAsync(host, "productpage~pp-1", "DestinationRule", t => true);
        Assert.Equal("NOT SENT", (string?)notSent["status"]);

        await proxy.AckAsync(push);

        var synced = await TypeStatusAsync(host, "productpage~pp-1", "VirtualService", t => (string?)t["status"] == "SYNCED");
        Assert.Equal(push.VersionInfo, (string?)synced["ackedVersion"]);
        var syncz = await host.GetJsonAsync("/debug/syncz");
        var entry = syncz.AsArray().Single(p => (string?)p!["proxy"] == "productpage~pp-1")!;
        Assert.Equal("productpage", (string?)entry["app"]);
        Assert.Equal("pp-1", (string?)entry["instance"]);
    }

    [Fact]
    public async Task Nack_StaleWithReasonInSyncz()
    {
        await using var host = new ControlPlaneHost();
        host.Write("reviews.yaml", Yaml.ReviewsSplit(90, 10));
        using var channel = host.Channel();
        await using var proxy = new ProxyStream(channel, "productpage", "pp-1");

        await proxy.SubscribeAsync(ResourceTypes.DestinationRule);
        var push = await proxy.NextAsync(ResourceTypes.DestinationRule);
        await proxy.NackAsync(push, "", "spec.subsets[0].name: not usable here");

        var stale = await TypeStatusAsync(host, "productpage~pp-1", "DestinationRule", t => t["error"] is not null);
        Assert.Equal("STALE", (string?)stale["status"]);
        Assert.Equal("spec.subsets[0].name: not usable here", (string?)stale["error"]);
        using var http = host.Http1();
        var metrics = await http.GetStringAsync("/actuator/prometheus");
        Assert.Contains("pilot_total_xds_rejects", metrics, StringComparison.Ordinal);
        Assert.Contains("pilot_xds_pushes", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaleNonce_Ignored()
    {
        await using var host = new ControlPlaneHost();
        host.Write("reviews.yaml", Yaml.ReviewsSplit(90, 10));
        using var channel = host.Channel();
        await using var proxy = new ProxyStream(channel, "productpage", "pp-1");
        await proxy.SubscribeAsync(ResourceTypes.VirtualService);
        var first = await proxy.NextAsync(ResourceTypes.VirtualService);

        host.Write("reviews.yaml", Yaml.ReviewsSplit(50, 50));
        var second = await proxy.NextAsync(ResourceTypes.VirtualService);
        Assert.NotEqual(first.VersionInfo, second.VersionInfo);
        Assert.NotEqual(first.Nonce, second.Nonce);
        // An ACK of the first push arriving after the second was sent answers an old nonce: ignored.
        await proxy.AckAsync(first);
        await proxy.SendAsync(new DiscoveryRequest { TypeUrl = ResourceTypes.VirtualService, VersionInfo = "x", ResponseNonce = "not-a-nonce", Node = proxy.Node });
        await Task.Delay(300);

        var state = await TypeStatusAsync(host, "productpage~pp-1", "VirtualService", t => true);
        Assert.Equal("STALE", (string?)state["status"]);
        Assert.Null((string?)state["ackedVersion"]);

        await proxy.AckAsync(second);
        await TypeStatusAsync(host, "productpage~pp-1", "VirtualService", t => (string?)t["status"] == "SYNCED" && (string?)t["ackedVersion"] == second.VersionInfo);
    }

    [Fact]
    public async Task FileEdit_PushedToEveryProxy()
    {
        await using var host = new ControlPlaneHost();
        host.Write("reviews.yaml", Yaml.ReviewsSplit(90, 10));
        using var channel = host.Channel();
        await using var a = new ProxyStream(channel, "productpage", "pp-1");
        await using var b = new ProxyStream(channel, "reviews", "r-1");
        await a.SubscribeAsync(ResourceTypes.VirtualService);
        await b.SubscribeAsync(ResourceTypes.VirtualService);
        await a.AckAsync(await a.NextAsync());
        await b.AckAsync(await b.NextAsync());

        host.Write("reviews.yaml", Yaml.ReviewsSplit(10, 90));

        // Debounced 100 ms, then pushed at once; the bound is generous for a loaded machine.
        foreach (var proxy in new[] { a, b })
        {
            var push = await proxy.NextAsync(ResourceTypes.VirtualService, TimeSpan.FromSeconds(10));
            Assert.Equal(10, push.Resources[0].VirtualService.Http[0].Route[0].Weight);
        }
    }

    [Fact]
    public async Task BrokenFile_RejectedWithReason_OldSetStillServed()
    {
        await using var host = new ControlPlaneHost();
        host.Write("reviews.yaml", Yaml.ReviewsSplit(90, 10));
        using var channel = host.Channel();
        await using var proxy = new ProxyStream(channel, "productpage", "pp-1");
        await proxy.SubscribeAsync(ResourceTypes.VirtualService);
        var good = await proxy.NextAsync();
        await proxy.AckAsync(good);

        // A negative weight: the VirtualService is rejected, its previous version stays; the DestinationRule is read again.
        host.Write("reviews.yaml", Yaml.ReviewsSplit(-1, 10));
        var configz = await Eventually.ReturnsAsync(() => host.GetJsonAsync("/debug/configz"), c => c["rejected"]!.AsArray().Count > 0, what: "rejection in configz");
        var rejected = configz["rejected"]!.AsArray().Single()!;
        Assert.Equal("reviews.yaml", (string?)rejected["source"]);
        Assert.Equal("VirtualService default/reviews", (string?)rejected["resource"]);
        Assert.Equal("spec.http[0].route[0].weight", (string?)rejected["field"]);
        var vs = configz["resources"]!.AsArray().Single(r => (string?)r!["kind"] == "VirtualService")!;
        Assert.Equal(90, (int)vs["spec"]!["http"]![0]!["route"]![0]!["weight"]!);

        // Not YAML at all: the whole file's last good set stays.
        host.Write("reviews.yaml", "spec: [unclosed");
        configz = await Eventually.ReturnsAsync(() => host.GetJsonAsync("/debug/configz"),
            c => c["rejected"]!.AsArray().Any(r => ((string?)r!["message"])!.Contains("not valid YAML", StringComparison.Ordinal)), what: "YAML error in configz");
        Assert.Equal(2, configz["resources"]!.AsArray().Count);

        // Nothing changed in force: no new push; a new proxy still gets the old set.
        Assert.Null(await proxy.TryNextAsync(TimeSpan.FromMilliseconds(500)));
        await using var late = new ProxyStream(channel, "ratings", "ra-1");
        await late.SubscribeAsync(ResourceTypes.VirtualService);
        var served = await late.NextAsync();
        Assert.Equal(good.VersionInfo, served.VersionInfo);
        Assert.Equal(90, served.Resources[0].VirtualService.Http[0].Route[0].Weight);
    }

    [Fact]
    public async Task FileDeletedAndAddedInSubfolder_PushedAsWithdrawnThenBack()
    {
        await using var host = new ControlPlaneHost();
        Directory.CreateDirectory(Path.Combine(host.Folder, "reviews"));
        host.Write("reviews/split.yaml", Yaml.ReviewsSplit(90, 10));
        using var channel = host.Channel();
        await using var proxy = new ProxyStream(channel, "productpage", "pp-1");
        await proxy.SubscribeAsync(ResourceTypes.DestinationRule);
        var first = await proxy.NextAsync();
        Assert.Equal("reviews/split.yaml", Assert.Single(first.Resources).Source);

        File.Delete(Path.Combine(host.Folder, "reviews", "split.yaml"));
        Assert.Empty((await proxy.NextAsync(ResourceTypes.DestinationRule)).Resources);

        host.Write("reviews/split.yaml", Yaml.ReviewsSplit(90, 10));
        var back = await proxy.NextAsync(ResourceTypes.DestinationRule);
        Assert.Equal(first.VersionInfo, back.VersionInfo);
    }

    [Fact]
    public async Task Policies_OnlyThoseSelectingTheProxy()
    {
        await using var host = new ControlPlaneHost();
        host.Write("policies.yaml", Yaml.Policies);
        using var channel = host.Channel();
        await using var ratings = new ProxyStream(channel, "ratings", "ra-1", new Dictionary<string, string> { ["version"] = "v1" });
        await using var reviews = new ProxyStream(channel, "reviews", "r-1");

        await ratings.SubscribeAsync(ResourceTypes.AuthorizationPolicy);
        await ratings.SubscribeAsync(ResourceTypes.PeerAuthentication);
        await reviews.SubscribeAsync(ResourceTypes.AuthorizationPolicy);
        await reviews.SubscribeAsync(ResourceTypes.PeerAuthentication);

        Assert.Equal("ratings-delete", Assert.Single((await ratings.NextAsync(ResourceTypes.AuthorizationPolicy)).Resources).Metadata.Name);
        Assert.Empty((await reviews.NextAsync(ResourceTypes.AuthorizationPolicy)).Resources);
        // The mesh-wide PeerAuthentication (root namespace, no selector) reaches everyone.
        Assert.Single((await ratings.NextAsync(ResourceTypes.PeerAuthentication)).Resources);
        Assert.Single((await reviews.NextAsync(ResourceTypes.PeerAuthentication)).Resources);
    }

    [Fact]
    public async Task Reconnect_GetsCurrentSetAgain()
    {
        await using var host = new ControlPlaneHost();
        host.Write("reviews.yaml", Yaml.ReviewsSplit(90, 10));
        using var channel = host.Channel();
        string version;
        await using (var first = new ProxyStream(channel, "productpage", "pp-1"))
        {
            await first.SubscribeAsync(ResourceTypes.VirtualService);
            var push = await first.NextAsync();
            await first.AckAsync(push);
            version = push.VersionInfo;
        }
        await using var again = new ProxyStream(channel, "productpage", "pp-1");
        await again.SubscribeAsync(ResourceTypes.VirtualService, version);
        var repeat = await again.NextAsync();
        Assert.Equal(version, repeat.VersionInfo);
        await Eventually.ReturnsAsync(() => host.GetJsonAsync("/debug/syncz"), s => s.AsArray().Count == 1, what: "one proxy after the reconnect");
    }
}
