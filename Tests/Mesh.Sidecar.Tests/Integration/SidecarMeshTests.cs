using System.Globalization;
using System.Net;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Action = Infrastructure.Mesh.Api.AuthorizationPolicy.Types.Action;
using Mode = Infrastructure.Mesh.Api.PeerAuthentication.Types.MutualTLS.Types.Mode;

namespace Infrastructure.Mesh.Sidecar.Tests.Integration;

/// <summary>Sidecars as real processes, with real apps, against an in-test control plane and a real registry.</summary>
[Collection(nameof(SidecarMeshTests))]
public sealed class SidecarMeshTests(MeshFixture mesh) : IAsyncLifetime
{
    private SidecarProcess _productPage = null!;
    private SidecarProcess _ratings = null!;

    public async Task InitializeAsync() => (_productPage, _ratings) = await mesh.PairAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<(HttpStatusCode Status, string Body)> CallRatingsAsync(string path, HttpMethod? method = null, Func<HttpStatusCode, string, bool>? until = null) =>
        mesh.CallUntilAsync(() => mesh.Outbound(_productPage, "ratings", path, method), until ?? ((s, _) => s == HttpStatusCode.OK));

    private static MeshResource Resource(string kind, string name, Action<MeshResource> spec, string ns = "default")
    {
        var r = new MeshResource { ApiVersion = kind is "VirtualService" or "DestinationRule" ? "networking.istio.io/v1" : "security.istio.io/v1", Kind = kind, Metadata = new ObjectMeta { Name = name, Namespace = ns } };
        spec(r);
        return r;
    }

    [Fact]
    public async Task Call_ThroughOutboundAndInbound_IsMutualTlsWithTheCallersIdentity()
    {
        var (status, body) = await CallRatingsAsync("/ratings/1");
        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}\n{_productPage.Process.Output}");
        var answer = MeshFixture.Json(body);
        Assert.Equal("ratings", answer.GetProperty("app").GetString());
        Assert.Equal("/ratings/1", answer.GetProperty("path").GetString());
        var headers = answer.GetProperty("headers");
        Assert.Contains("URI=spiffe://cluster.local/ns/default/sa/productpage", headers.GetProperty("x-forwarded-client-cert").GetString(), StringComparison.Ordinal);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", headers.GetProperty("traceparent").GetString()!);
        Assert.True(headers.TryGetProperty("x-b3-traceid", out _));
        Assert.True(headers.TryGetProperty("x-request-id", out _));
        // The app was started by its sidecar, with the mesh's environment.
        var env = answer.GetProperty("env");
        Assert.Equal(_ratings.OutboundPort.ToString(CultureInfo.InvariantCulture), env.GetProperty("MESH_OUTBOUND_PORT").GetString());
        Assert.Equal($"http://127.0.0.1:{_ratings.OutboundPort}", env.GetProperty("HTTP_PROXY").GetString());
        Assert.Equal(_ratings.AppPort.ToString(CultureInfo.InvariantCulture), env.GetProperty("PORT").GetString());

        // Istio's metrics, on both sides.
        var destinationStats = await mesh.Http.GetStringAsync(_ratings.Admin("/stats/prometheus"));
        Assert.Contains("istio_requests_total{", destinationStats, StringComparison.Ordinal);
        Assert.Contains("reporter=\"destination\"", destinationStats, StringComparison.Ordinal);
        Assert.Contains("source_principal=\"spiffe://cluster.local/ns/default/sa/productpage\"", destinationStats, StringComparison.Ordinal);
        var sourceStats = await mesh.Http.GetStringAsync(_productPage.Admin("/stats/prometheus"));
        Assert.Contains("reporter=\"source\"", sourceStats, StringComparison.Ordinal);
        Assert.Contains("istio_request_duration_milliseconds", sourceStats, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_AsHttpProxy_AbsoluteFormNamesTheService()
    {
        await CallRatingsAsync("/ratings/1");
        using var viaProxy = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{_productPage.OutboundPort}"), UseProxy = true });
        var body = await viaProxy.GetStringAsync(new Uri("http://ratings/ratings/2"));
        Assert.Equal("/ratings/2", MeshFixture.Json(body).GetProperty("path").GetString());
    }

    [Fact]
    public async Task Call_HostNotInTheRegistry_PassesThrough()
    {
        var registry = mesh.Registry.BaseUri;
        var (status, _) = await mesh.CallUntilAsync(() => mesh.Outbound(_productPage, $"{registry.Host}:{registry.Port}", "/actuator/health"), (s, _) => s == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Call_UnknownSubset_IsNoHealthyUpstream()
    {
        await CallRatingsAsync("/ratings/1");
        await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService, Resource("VirtualService", "ratings", r =>
        {
            r.VirtualService = new VirtualService();
            r.VirtualService.Hosts.Add("ratings");
            var rule = new HTTPRoute();
            rule.Route.Add(new HTTPRouteDestination { Destination = new Destination { Host = "ratings", Subset = "v9" } });
            r.VirtualService.Http.Add(rule);
        }));
        try
        {
            var (status, body) = await CallRatingsAsync("/ratings/1", until: (s, _) => s == HttpStatusCode.ServiceUnavailable);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("no healthy upstream", body);
        }
        finally
        {
            await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService);
        }
    }

    [Fact]
    public async Task Strict_RefusesPlaintext_WhileAMeshedCallerGetsThrough()
    {
        await CallRatingsAsync("/ratings/1");
        using var plain = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        var direct = new Uri($"http://127.0.0.1:{_ratings.InboundPort}/ratings/3");
        // PERMISSIVE (the mesh default): plaintext and mTLS on the same port.
        Assert.Equal("/ratings/3", MeshFixture.Json(await plain.GetStringAsync(direct)).GetProperty("path").GetString());

        var version = await mesh.ControlPlane.PushAsync(ResourceTypes.PeerAuthentication, Resource("PeerAuthentication", "ratings-strict", r =>
        {
            r.PeerAuthentication = new PeerAuthentication
            {
                Selector = new WorkloadSelector(),
                Mtls = new PeerAuthentication.Types.MutualTLS { Mode = Mode.Strict },
            };
            r.PeerAuthentication.Selector.MatchLabels.Add("app", "ratings");
        }));
        try
        {
            await mesh.ControlPlane.WaitForRequestAsync(r => r.TypeUrl == ResourceTypes.PeerAuthentication && r.VersionInfo == version && r.ErrorDetail is null && r.ResponseNonce.Length > 0, TimeSpan.FromSeconds(20));
            await Task.Delay(200);
            // A connection opened before the change goes, and a new one is refused.
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetStringAsync(direct));
            using var fresh = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => fresh.GetStringAsync(direct));
            var (status, body) = await CallRatingsAsync("/ratings/4");
            Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        }
        finally
        {
            await mesh.ControlPlane.PushAsync(ResourceTypes.PeerAuthentication);
        }
    }

    [Fact]
    public async Task DenyPolicy_DeniesDeleteToTheCaller_AllowsGet()
    {
        await CallRatingsAsync("/ratings/1");
        var version = await mesh.ControlPlane.PushAsync(ResourceTypes.AuthorizationPolicy, Resource("AuthorizationPolicy", "deny-delete", r =>
        {
            var policy = new AuthorizationPolicy { Action = Action.Deny, Selector = new WorkloadSelector() };
            policy.Selector.MatchLabels.Add("app", "ratings");
            var rule = new Rule();
            var from = new Rule.Types.From { Source = new Source() };
            from.Source.Principals.Add("cluster.local/ns/default/sa/productpage");
            rule.From.Add(from);
            var to = new Rule.Types.To { Operation = new Operation() };
            to.Operation.Methods.Add("DELETE");
            to.Operation.Paths.Add("/ratings/*");
            rule.To.Add(to);
            policy.Rules.Add(rule);
            r.AuthorizationPolicy = policy;
        }));
        try
        {
            var (status, body) = await CallRatingsAsync("/ratings/1", HttpMethod.Delete, (s, _) => s == HttpStatusCode.Forbidden);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Equal("RBAC: access denied", body);
            var (getStatus, _) = await CallRatingsAsync("/ratings/1");
            Assert.Equal(HttpStatusCode.OK, getStatus);
            await mesh.ControlPlane.WaitForRequestAsync(r => r.TypeUrl == ResourceTypes.AuthorizationPolicy && r.VersionInfo == version, TimeSpan.FromSeconds(5));
        }
        finally
        {
            await mesh.ControlPlane.PushAsync(ResourceTypes.AuthorizationPolicy);
        }
    }

    [Fact]
    public async Task BadPush_IsNackedWithTheReason_AndTheLastGoodConfigServes()
    {
        await CallRatingsAsync("/ratings/1");
        MeshResource Abort(string regex) => Resource("VirtualService", "ratings", r =>
        {
            r.VirtualService = new VirtualService();
            r.VirtualService.Hosts.Add("ratings");
            var faulty = new HTTPRoute { Fault = new HTTPFaultInjection { Abort = new HTTPFaultInjection.Types.Abort { HttpStatus = 418, Percentage = new Percent { Value = 100 } } } };
            faulty.Match.Add(new HTTPMatchRequest { Uri = new StringMatch { Regex = regex } });
            faulty.Route.Add(new HTTPRouteDestination { Destination = new Destination { Host = "ratings" } });
            r.VirtualService.Http.Add(faulty);
            var rest = new HTTPRoute();
            rest.Route.Add(new HTTPRouteDestination { Destination = new Destination { Host = "ratings" } });
            r.VirtualService.Http.Add(rest);
        });
        var good = await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService, Abort("/teapot/[0-9]+"));
        try
        {
            var (status, body) = await CallRatingsAsync("/teapot/1", until: (s, _) => s == (HttpStatusCode)418);
            Assert.Equal((HttpStatusCode)418, status);
            Assert.Equal("fault filter abort", body);

            var bad = await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService, Abort("/teapot/[0-9"));
            var nack = await mesh.ControlPlane.WaitForRequestAsync(r => r.TypeUrl == ResourceTypes.VirtualService && r.ErrorDetail is not null && r.VersionInfo == good, TimeSpan.FromSeconds(20));
            Assert.Contains("regex", nack.ErrorDetail.Message, StringComparison.Ordinal);
            Assert.NotEqual(bad, nack.VersionInfo);

            // The previous set still serves, and the dump says what was refused and why.
            Assert.Equal((HttpStatusCode)418, (await CallRatingsAsync("/teapot/2", until: (s, _) => s == (HttpStatusCode)418)).Status);
            Assert.Equal(HttpStatusCode.OK, (await CallRatingsAsync("/ratings/1")).Status);
            var dump = MeshFixture.Json(await mesh.Http.GetStringAsync(_productPage.Admin("/config_dump")));
            var vs = dump.GetProperty("configs").EnumerateArray().Single(c => c.GetProperty("typeUrl").GetString() == ResourceTypes.VirtualService);
            Assert.Equal(good, vs.GetProperty("versionInfo").GetString());
            Assert.Equal(bad, vs.GetProperty("errorState").GetProperty("versionInfo").GetString());
            Assert.Contains("regex", vs.GetProperty("errorState").GetProperty("details").GetString(), StringComparison.Ordinal);
            Assert.True(dump.GetProperty("certificate").GetProperty("serialNumber").GetString()!.Length > 0);
            Assert.True(dump.GetProperty("registry").TryGetProperty("ratings", out _));
        }
        finally
        {
            await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService);
        }
    }
    [Fact]
    public async Task Certificate_RenewedAtHalfLife_WithoutADroppedRequest()
    {
        await CallRatingsAsync("/ratings/1");
        await using var details = await mesh.StartSidecarAsync("details", environment: new Dictionary<string, string?> { ["Sidecar__CertificateValiditySeconds"] = "4" });
        string Serial(string dump) => MeshFixture.Json(dump).GetProperty("certificate").GetProperty("serialNumber").GetString()!;
        var first = Serial(await mesh.Http.GetStringAsync(details.Admin("/config_dump")));
        var (status, _) = await mesh.CallUntilAsync(() => mesh.Outbound(_productPage, "details", "/details/0"), (s, _) => s == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, status);

        // Calls go on through at least two renewals (every ~2 s): open connections keep their certificate, new handshakes take the new one.
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        var calls = 0;
        while (DateTime.UtcNow < end)
        {
            using var request = mesh.Outbound(_productPage, "details", $"/details/{calls}");
            using var response = await mesh.Http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"call {calls}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            calls++;
            await Task.Delay(50);
        }
        var dump = MeshFixture.Json(await mesh.Http.GetStringAsync(details.Admin("/config_dump")));
        Assert.NotEqual(first, dump.GetProperty("certificate").GetProperty("serialNumber").GetString());
        Assert.True(dump.GetProperty("certificate").GetProperty("issued").GetInt32() >= 2);
    }
}

/// <summary>Sidecars whose app is a one-shot command: the hold-until-ready start and the exit with the app.</summary>
[Collection(nameof(SidecarMeshTests))]
public sealed class SidecarLifecycleTests(MeshFixture mesh)
{
    [Fact]
    public async Task App_StartsOnlyOnceTheSidecarIsReady_AndTheSidecarExitsWithItsExitCode()
    {
        // The app asks its sidecar's /ready as its very first act: 200 means it was held until the sidecar was ready.
        await using var sidecar = await mesh.StartSidecarAsync("job", waitReady: false, command: admin =>
        [
            "python3", "-c",
            $"import sys, urllib.request\nstatus = urllib.request.urlopen('http://127.0.0.1:{admin}/ready').status\nsys.exit(3 if status == 200 else 4)",
        ]);
        Assert.True(await sidecar.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), sidecar.Process.Output);
        Assert.True(sidecar.Process.ExitCode == 3, sidecar.Process.Output);
    }

    [Fact]
    public async Task QuitQuitQuit_StopsTheAppAndTheSidecar()
    {
        await using var sidecar = await mesh.StartSidecarAsync("quitter");
        using var response = await mesh.Http.PostAsync(sidecar.Admin("/quitquitquit"), null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(await sidecar.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)), sidecar.Process.Output);
        Assert.Equal(0, sidecar.Process.ExitCode);
        Assert.Contains("Deregistered quitter", sidecar.Process.Output, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>The integration tests share one registry and control plane and run one at a time.</summary>
[CollectionDefinition(nameof(SidecarMeshTests))]
public sealed class SidecarMeshCollection : ICollectionFixture<MeshFixture>;
