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

    /// <summary>A VirtualService sending every call to ratings to one subset.</summary>
    private static MeshResource AllRatingsTo(string subset) => Resource("VirtualService", "ratings", r =>
    {
        r.VirtualService = new VirtualService();
        r.VirtualService.Hosts.Add("ratings");
        var rule = new HTTPRoute();
        rule.Route.Add(new HTTPRouteDestination { Destination = new Destination { Host = "ratings", Subset = subset } });
        r.VirtualService.Http.Add(rule);
    });

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
    public async Task Call_KeepsTheCallersTraceId_WithANewSpanPerHop()
    {
        await CallRatingsAsync("/ratings/1");
        const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string AppSpan = "00f067aa0ba902b7";
        var (status, body) = await mesh.CallUntilAsync(() =>
        {
            var request = mesh.Outbound(_productPage, "ratings", "/ratings/5");
            request.Headers.TryAddWithoutValidation("traceparent", $"00-{TraceId}-{AppSpan}-01");
            request.Headers.TryAddWithoutValidation("x-request-id", "req-1");
            return request;
        }, (s, _) => s == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, status);
        var headers = MeshFixture.Json(body).GetProperty("headers");
        var traceparent = headers.GetProperty("traceparent").GetString()!;
        Assert.StartsWith($"00-{TraceId}-", traceparent, StringComparison.Ordinal);
        Assert.DoesNotContain(AppSpan, traceparent, StringComparison.Ordinal);
        Assert.Equal(TraceId, headers.GetProperty("x-b3-traceid").GetString());
        Assert.Equal("req-1", headers.GetProperty("x-request-id").GetString());
    }

    [Fact]
    public async Task Call_ManyAtOnce_AllAnswered()
    {
        await CallRatingsAsync("/ratings/1");
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var request = mesh.Outbound(_productPage, "ratings", $"/ratings/{i}", HttpMethod.Post);
            request.Content = new StringContent(new string('x', 1024));
            using var response = await mesh.Http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode != HttpStatusCode.OK || MeshFixture.Json(body).GetProperty("path").GetString() != $"/ratings/{i}")
            {
                failures.Add($"{i}: {(int)response.StatusCode} {body}");
            }
        });
        Assert.Empty(failures);
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
        await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService, AllRatingsTo("v9"));
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
    public async Task WeightedSubsets_SplitAcrossVersions_WithRewriteAndHeaders()
    {
        await CallRatingsAsync("/ratings/1");
        await using var v2 = await mesh.StartSidecarAsync("ratings", version: "v2");
        await mesh.ControlPlane.PushAsync(ResourceTypes.DestinationRule, Resource("DestinationRule", "ratings", r =>
        {
            r.DestinationRule = new DestinationRule { Host = "ratings" };
            foreach (var version in new[] { "v1", "v2" })
            {
                var subset = new Subset { Name = version };
                subset.Labels.Add("version", version);
                r.DestinationRule.Subsets.Add(subset);
            }
        }));
        await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService, Resource("VirtualService", "ratings", r =>
        {
            r.VirtualService = new VirtualService();
            r.VirtualService.Hosts.Add("ratings");
            var rule = new HTTPRoute
            {
                Rewrite = new HTTPRewrite { Uri = "/v1/ratings/" },
                Headers = new Headers { Request = new Headers.Types.HeaderOperations(), Response = new Headers.Types.HeaderOperations() },
            };
            rule.Match.Add(new HTTPMatchRequest { Uri = new StringMatch { Prefix = "/api/" } });
            rule.Headers.Request.Set.Add("x-mesh-route", "split");
            rule.Headers.Response.Add.Add("x-mesh-answer", "yes");
            rule.Route.Add(new HTTPRouteDestination { Destination = new Destination { Host = "ratings", Subset = "v1" }, Weight = 50 });
            rule.Route.Add(new HTTPRouteDestination { Destination = new Destination { Host = "ratings", Subset = "v2" }, Weight = 50 });
            r.VirtualService.Http.Add(rule);
        }));
        try
        {
            var seen = new HashSet<string>();
            var end = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (seen.Count < 2 && DateTime.UtcNow < end)
            {
                using var request = mesh.Outbound(_productPage, "ratings", "/api/7");
                using var response = await mesh.Http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK || !body.Contains("x-mesh-route", StringComparison.Ordinal))
                {
                    await Task.Delay(100);
                    continue;
                }
                var answer = MeshFixture.Json(body);
                Assert.Equal("/v1/ratings/7", answer.GetProperty("path").GetString());
                Assert.Equal("split", answer.GetProperty("headers").GetProperty("x-mesh-route").GetString());
                Assert.Equal("yes", Assert.Single(response.Headers.GetValues("x-mesh-answer")));
                seen.Add(answer.GetProperty("version").GetString()!);
            }
            Assert.Equal(["v1", "v2"], seen.Order());

            // All weight on v2: only v2 answers.
            await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService, AllRatingsTo("v2"));
            await CallRatingsAsync("/ratings/1", until: (s, b) => s == HttpStatusCode.OK && MeshFixture.Json(b).GetProperty("version").GetString() == "v2");
            for (var i = 0; i < 10; i++)
            {
                var (status, body) = await CallRatingsAsync("/ratings/1");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal("v2", MeshFixture.Json(body).GetProperty("version").GetString());
            }
        }
        finally
        {
            await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService);
            await mesh.ControlPlane.PushAsync(ResourceTypes.DestinationRule);
        }
    }

    [Fact]
    public async Task OutlierDetection_EjectsAFailingInstance()
    {
        await CallRatingsAsync("/ratings/1");
        await using var failing = await mesh.StartSidecarAsync("ratings", version: "v3", environment: new Dictionary<string, string?> { ["APP_STATUS"] = "500" });
        // The failing instance is in this sidecar's view once a call has landed on it.
        await CallRatingsAsync("/ratings/1", until: (s, _) => s == HttpStatusCode.InternalServerError);
        var version = await mesh.ControlPlane.PushAsync(ResourceTypes.DestinationRule, Resource("DestinationRule", "ratings", r =>
        {
            r.DestinationRule = new DestinationRule
            {
                Host = "ratings",
                TrafficPolicy = new TrafficPolicy
                {
                    LoadBalancer = new LoadBalancerSettings { Simple = LoadBalancerSettings.Types.SimpleLB.RoundRobin },
                    OutlierDetection = new OutlierDetection
                    {
                        Consecutive5XxErrors = 2,
                        Interval = "1s",
                        BaseEjectionTime = "1m",
                        MaxEjectionPercent = 100,
                    },
                },
            };
        }));
        try
        {
            await mesh.ControlPlane.WaitForRequestAsync(r => r.TypeUrl == ResourceTypes.DestinationRule && r.VersionInfo == version, TimeSpan.FromSeconds(20));
            await Task.Delay(300);
            // Round robin brings the failing instance up every other call until its second 500 ejects it.
            var failures = 0;
            for (var i = 0; i < 6; i++)
            {
                var (status, _) = await CallRatingsAsync("/ratings/1", until: (_, _) => true);
                failures += status == HttpStatusCode.InternalServerError ? 1 : 0;
            }
            Assert.True(failures <= 2, $"{failures} failures: the second should have ejected the instance");
            for (var i = 0; i < 10; i++)
            {
                var (status, body) = await CallRatingsAsync("/ratings/1", until: (_, _) => true);
                Assert.True(status == HttpStatusCode.OK, $"call {i} after ejection: {status} {body}");
            }
        }
        finally
        {
            await mesh.ControlPlane.PushAsync(ResourceTypes.DestinationRule);
        }
    }

    [Fact]
    public async Task FaultDelayAndRouteTimeout_AsDeclared()
    {
        await CallRatingsAsync("/ratings/1");
        var version = await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService, Resource("VirtualService", "ratings", r =>
        {
            r.VirtualService = new VirtualService();
            r.VirtualService.Hosts.Add("ratings");
            var delayed = new HTTPRoute
            {
                Fault = new HTTPFaultInjection { Delay = new HTTPFaultInjection.Types.Delay { FixedDelay = "700ms", Percentage = new Percent { Value = 100 } } },
            };
            delayed.Match.Add(new HTTPMatchRequest { Uri = new StringMatch { Prefix = "/delayed" } });
            delayed.Route.Add(new HTTPRouteDestination { Destination = new Destination { Host = "ratings" } });
            var bounded = new HTTPRoute { Timeout = "300ms" };
            bounded.Route.Add(new HTTPRouteDestination { Destination = new Destination { Host = "ratings" } });
            r.VirtualService.Http.Add(delayed);
            r.VirtualService.Http.Add(bounded);
        }));
        try
        {
            await mesh.ControlPlane.WaitForRequestAsync(r => r.TypeUrl == ResourceTypes.VirtualService && r.VersionInfo == version, TimeSpan.FromSeconds(20));
            await Task.Delay(300);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var (status, _) = await CallRatingsAsync("/delayed/1");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(650), $"answered after {watch.Elapsed}");

            var (slowStatus, body) = await CallRatingsAsync("/ratings/1?sleep=3000", until: (s, _) => s == HttpStatusCode.GatewayTimeout);
            Assert.Equal(HttpStatusCode.GatewayTimeout, slowStatus);
            Assert.Equal("upstream request timeout", body);
            Assert.Equal(HttpStatusCode.OK, (await CallRatingsAsync("/ratings/1?sleep=10")).Status);
        }
        finally
        {
            await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService);
        }
    }

    [Fact]
    public async Task ControlPlane_FirstReplicaDown_CertificateAndConfigComeFromTheNext()
    {
        await CallRatingsAsync("/ratings/1");
        // Nothing listens on the first address: the sidecar must move on to the second to get ready at all.
        var down = $"http://127.0.0.1:{mesh.Port()}";
        await using var details = await mesh.StartSidecarAsync("details", controlPlane: $"{down}, {mesh.ControlPlane.Address}");
        var dump = MeshFixture.Json(await mesh.Http.GetStringAsync(details.Admin("/config_dump")));
        Assert.Equal("spiffe://cluster.local/ns/default/sa/details", dump.GetProperty("certificate").GetProperty("uriSan").GetString());
        var (status, _) = await mesh.CallUntilAsync(() => mesh.Outbound(_productPage, "details", "/details/0"), (s, _) => s == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Mirror_SendsACopy_AndTheCallerGetsThePrimaryAnswer()
    {
        await CallRatingsAsync("/ratings/1");
        await using var shadow = await mesh.StartSidecarAsync("shadow");
        await mesh.CallUntilAsync(() => mesh.Outbound(_productPage, "shadow", "/warm"), (s, _) => s == HttpStatusCode.OK);
        var version = await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService, Resource("VirtualService", "ratings", r =>
        {
            r.VirtualService = new VirtualService();
            r.VirtualService.Hosts.Add("ratings");
            var rule = new HTTPRoute { Mirror = new Destination { Host = "shadow" }, MirrorPercentage = new Percent { Value = 100 } };
            rule.Route.Add(new HTTPRouteDestination { Destination = new Destination { Host = "ratings" } });
            r.VirtualService.Http.Add(rule);
        }));
        try
        {
            await mesh.ControlPlane.WaitForRequestAsync(r => r.TypeUrl == ResourceTypes.VirtualService && r.VersionInfo == version, TimeSpan.FromSeconds(20));
            await Task.Delay(300);
            for (var i = 0; i < 3; i++)
            {
                using var request = mesh.Outbound(_productPage, "ratings", "/mirrored", HttpMethod.Post);
                request.Content = new StringContent("{\"stars\":5}", System.Text.Encoding.UTF8, "application/json");
                using var response = await mesh.Http.SendAsync(request);
                var answer = MeshFixture.Json(await response.Content.ReadAsStringAsync());
                Assert.Equal("ratings", answer.GetProperty("app").GetString());
                Assert.Equal("{\"stars\":5}", answer.GetProperty("body").GetString());
            }
            // The copies reach the shadow's sidecar (fire and forget: give them a moment), with the -shadow host.
            var end = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            string stats;
            do
            {
                await Task.Delay(200);
                stats = await mesh.Http.GetStringAsync(shadow.Admin("/stats/prometheus"));
            }
            while (CountMirrored(stats) < 3 && DateTime.UtcNow < end);
            Assert.True(CountMirrored(stats) >= 3, stats);
        }
        finally
        {
            await mesh.ControlPlane.PushAsync(ResourceTypes.VirtualService);
        }
    }

    /// <summary>Requests the shadow's sidecar counted from productpage (the warm-up call included).</summary>
    private static double CountMirrored(string stats) => stats.Split('\n')
        .Where(l => l.StartsWith("istio_requests_total{", StringComparison.Ordinal) && l.Contains("reporter=\"destination\"", StringComparison.Ordinal)
            && l.Contains("source_workload=\"productpage\"", StringComparison.Ordinal))
        .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)) - 1;

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
