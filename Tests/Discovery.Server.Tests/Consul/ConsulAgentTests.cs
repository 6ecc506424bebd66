using System.Net;
using System.Text.Json;
using Infrastructure.Discovery.Server.Consul;
using Microsoft.Extensions.DependencyInjection;
using static Infrastructure.Discovery.Server.Tests.Consul.ConsulCalls;

namespace Infrastructure.Discovery.Server.Tests.Consul;

/// <summary>The Consul agent API: registration, TTL/HTTP checks mapped onto Eureka status and leases, maintenance, errors.</summary>
public sealed class ConsulAgentTests : IAsyncLifetime
{
    private readonly EurekaServerFactory _factory = new();
    private readonly StubHandler _checks = new();
    private HttpClient _http = null!;

    public Task InitializeAsync()
    {
        _factory.TestServices.Add(s => s.AddHttpClient(ConsulAgent.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => _checks));
        _http = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Register_ServedByAgentCatalogAndHealth_InConsulShape()
    {
        await RegisterAsync(_http, """{"ID":"web-1","Name":"web","Tags":["v1","primary"],"Address":"10.1.2.3","Port":8080,"Meta":{"version":"1.2"}}""");

        using var services = await GetJsonAsync(_http, "/v1/agent/services");
        var s = services.RootElement.GetProperty("web-1");
        Assert.Equal("web", s.GetProperty("Service").GetString());
        Assert.Equal(["v1", "primary"], s.GetProperty("Tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("10.1.2.3", s.GetProperty("Address").GetString());
        Assert.Equal(8080, s.GetProperty("Port").GetInt32());
        Assert.Equal("1.2", s.GetProperty("Meta").GetProperty("version").GetString());
        Assert.Equal("dc1", s.GetProperty("Datacenter").GetString());

        using var one = await GetJsonAsync(_http, "/v1/agent/service/web-1");
        Assert.Equal("web-1", one.RootElement.GetProperty("ID").GetString());
        Assert.Equal(16, one.RootElement.GetProperty("ContentHash").GetString()!.Length);

        using var catalog = await GetJsonAsync(_http, "/v1/catalog/services");
        Assert.Equal(["primary", "v1"], catalog.RootElement.GetProperty("web").EnumerateArray().Select(t => t.GetString()));

        using var nodes = await GetJsonAsync(_http, "/v1/catalog/service/web");
        var n = Assert.Single(nodes.RootElement.EnumerateArray());
        Assert.Equal("web-1", n.GetProperty("ServiceID").GetString());
        Assert.Equal("web", n.GetProperty("ServiceName").GetString());
        Assert.Equal("10.1.2.3", n.GetProperty("ServiceAddress").GetString());
        Assert.Equal(8080, n.GetProperty("ServicePort").GetInt32());
        Assert.Equal("dc1", n.GetProperty("Datacenter").GetString());
        Assert.Equal("1.2", n.GetProperty("ServiceMeta").GetProperty("version").GetString());
        Assert.False(n.GetProperty("ServiceMeta").TryGetProperty(ConsulAgent.TagsMetadataKey, out _));
        using var byTag = await GetJsonAsync(_http, "/v1/catalog/service/web?tag=nope");
        Assert.Equal(0, byTag.RootElement.GetArrayLength());

        // No check: Consul counts it passing.
        Assert.Equal(["web-1"], await PassingIdsAsync(_http, "web"));
        Assert.Equal("UP", await EurekaStatusAsync(_http, "WEB", "web-1"));
    }

    [Fact]
    public async Task Register_LowerCaseAndSnakeCaseKeys_AsPythonConsulSendsThem()
    {
        await RegisterAsync(_http, """{"name":"py","id":"py-1","address":"10.0.0.9","port":5000,"tags":["x"],"check":{"ttl":"10s","deregister_critical_service_after":"2m"}}""");

        using var services = await GetJsonAsync(_http, "/v1/agent/services");
        Assert.Equal(5000, services.RootElement.GetProperty("py-1").GetProperty("Port").GetInt32());
        Assert.Equal(["service:py-1=critical"], await HealthChecksAsync(_http, "py"));
    }

    [Fact]
    public async Task TtlCheck_CriticalUntilPassed_DownInEurekaUntilThen_CriticalAgainWhenTtlRunsOut()
    {
        await RegisterAsync(_http, """{"ID":"api-1","Name":"api","Port":80,"Check":{"TTL":"15s"}}""");
        // Consul starts a check critical unless told otherwise.
        Assert.Equal("DOWN", await EurekaStatusAsync(_http, "API", "api-1"));
        Assert.Empty(await PassingIdsAsync(_http, "api"));

        Assert.Equal(HttpStatusCode.OK, (await PutAsync(_http, "/v1/agent/check/pass/service:api-1?note=ok")).StatusCode);
        Assert.Equal("UP", await EurekaStatusAsync(_http, "API", "api-1"));
        Assert.Equal(["api-1"], await PassingIdsAsync(_http, "api"));

        Advance(_factory, TimeSpan.FromSeconds(10));
        Assert.Equal("UP", await EurekaStatusAsync(_http, "API", "api-1"));
        Advance(_factory, TimeSpan.FromSeconds(6));
        Assert.Equal("DOWN", await EurekaStatusAsync(_http, "API", "api-1"));
        using var health = await GetJsonAsync(_http, "/v1/health/service/api");
        var check = Assert.Single(health.RootElement[0].GetProperty("Checks").EnumerateArray());
        Assert.Equal("critical", check.GetProperty("Status").GetString());
        Assert.Equal("TTL expired", check.GetProperty("Output").GetString());
    }

    [Fact]
    public async Task TtlCheck_WarningServesTraffic_UpInEureka_ButNotPassing()
    {
        await RegisterAsync(_http, """{"ID":"w-1","Name":"warned","Check":{"TTL":"30s"}}""");
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(_http, "/v1/agent/check/warn/service:w-1")).StatusCode);

        Assert.Equal("UP", await EurekaStatusAsync(_http, "WARNED", "w-1"));
        Assert.Equal(["service:w-1=warning"], await HealthChecksAsync(_http, "warned"));
        Assert.Empty(await PassingIdsAsync(_http, "warned"));

        Assert.Equal(HttpStatusCode.OK, (await PutAsync(_http, "/v1/agent/check/update/service:w-1", """{"Status":"critical","Output":"disk full"}""")).StatusCode);
        Assert.Equal("DOWN", await EurekaStatusAsync(_http, "WARNED", "w-1"));
        using var checks = await GetJsonAsync(_http, "/v1/health/checks/warned");
        Assert.Equal("disk full", checks.RootElement[0].GetProperty("Output").GetString());
    }

    [Fact]
    public async Task DeregisterCriticalServiceAfter_RemovesTheInstanceFromEureka()
    {
        await RegisterAsync(_http, """{"ID":"gone-1","Name":"gone","Check":{"TTL":"5s","DeregisterCriticalServiceAfter":"1m"}}""");
        Advance(_factory, TimeSpan.FromSeconds(50));
        Assert.Equal("DOWN", await EurekaStatusAsync(_http, "GONE", "gone-1"));

        Advance(_factory, TimeSpan.FromSeconds(11));
        Assert.Null(await EurekaStatusAsync(_http, "GONE", "gone-1"));
        using var services = await GetJsonAsync(_http, "/v1/agent/services");
        Assert.False(services.RootElement.TryGetProperty("gone-1", out _));
    }

    [Fact]
    public async Task Lease_RenewedByTheAgent_SoEurekaNeverEvictsIt_AndRegisteredAgainIfEurekaDropsIt()
    {
        await RegisterAsync(_http, """{"ID":"kept-1","Name":"kept"}""");
        var registeredAt = await LastRenewalAsync();
        for (var i = 0; i < 10; i++)
        {
            Advance(_factory, TimeSpan.FromSeconds(31));
        }
        Assert.True(await LastRenewalAsync() >= registeredAt + (9 * 30_000), "the agent did not renew the lease");

        // Removed through Eureka: the agent puts it back on its next renewal, as Consul's anti-entropy would.
        Assert.Equal(HttpStatusCode.OK, (await _http.DeleteAsync("/eureka/apps/KEPT/kept-1")).StatusCode);
        Assert.Null(await EurekaStatusAsync(_http, "KEPT", "kept-1"));
        Advance(_factory, TimeSpan.FromSeconds(31));
        Assert.Equal("UP", await EurekaStatusAsync(_http, "KEPT", "kept-1"));

        async Task<long> LastRenewalAsync()
        {
            using var doc = await TestInstances.GetJsonAsync(_http, "/eureka/apps/KEPT/kept-1");
            return doc.RootElement.GetProperty("instance").GetProperty("leaseInfo").GetProperty("lastRenewalTimestamp").GetInt64();
        }
    }

    [Fact]
    public async Task HttpCheck_RunByTheServer_2xxPassing_429Warning_OtherCritical()
    {
        _checks.Status = HttpStatusCode.OK;
        await RegisterAsync(_http, """{"ID":"h-1","Name":"probed","Port":9000,"Check":{"HTTP":"http://10.9.9.9:9000/health","Interval":"10s","Header":{"X-Probe":["yes"]}}}""");
        Assert.Equal("DOWN", await EurekaStatusAsync(_http, "PROBED", "h-1"));

        Advance(_factory, TimeSpan.FromSeconds(1));
        Assert.True(await TestInstances.EventuallyAsync(async () => await EurekaStatusAsync(_http, "PROBED", "h-1") == "UP", TimeSpan.FromSeconds(10)));
        var probe = Assert.Single(_checks.Requests);
        Assert.Equal("http://10.9.9.9:9000/health", probe.Url);
        Assert.Equal("yes", probe.Probe);
        using (var checks = await GetJsonAsync(_http, "/v1/health/checks/probed"))
        {
            Assert.StartsWith("HTTP GET http://10.9.9.9:9000/health: 200 OK Output: ", checks.RootElement[0].GetProperty("Output").GetString(), StringComparison.Ordinal);
            Assert.Equal("http", checks.RootElement[0].GetProperty("Type").GetString());
        }

        _checks.Status = HttpStatusCode.TooManyRequests;
        Advance(_factory, TimeSpan.FromSeconds(10));
        Assert.True(await TestInstances.EventuallyAsync(async () => (await HealthChecksAsync(_http, "probed")).SequenceEqual(["service:h-1=warning"]), TimeSpan.FromSeconds(10)));
        Assert.Equal("UP", await EurekaStatusAsync(_http, "PROBED", "h-1"));

        _checks.Status = HttpStatusCode.ServiceUnavailable;
        Advance(_factory, TimeSpan.FromSeconds(10));
        Assert.True(await TestInstances.EventuallyAsync(async () => await EurekaStatusAsync(_http, "PROBED", "h-1") == "DOWN", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Maintenance_IsEurekaOutOfService_WithConsulsMaintenanceCheck_AndEndsBackUp()
    {
        await RegisterAsync(_http, """{"ID":"m-1","Name":"maint"}""");
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(_http, "/v1/agent/service/maintenance/m-1?enable=true&reason=deploying")).StatusCode);

        Assert.Equal("OUT_OF_SERVICE", await EurekaStatusAsync(_http, "MAINT", "m-1"));
        Assert.Empty(await PassingIdsAsync(_http, "maint"));
        using (var checks = await GetJsonAsync(_http, "/v1/health/checks/maint"))
        {
            var m = Assert.Single(checks.RootElement.EnumerateArray(), c => c.GetProperty("CheckID").GetString() == "_service_maintenance:m-1");
            Assert.Equal("critical", m.GetProperty("Status").GetString());
            Assert.Equal("deploying", m.GetProperty("Notes").GetString());
            Assert.Equal("Service Maintenance Mode", m.GetProperty("Name").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await PutAsync(_http, "/v1/agent/service/maintenance/m-1?enable=false")).StatusCode);
        Assert.Equal("UP", await EurekaStatusAsync(_http, "MAINT", "m-1"));
        Assert.Equal(["m-1"], await PassingIdsAsync(_http, "maint"));
    }

    [Fact]
    public async Task Deregister_RemovesFromEurekaAndConsul()
    {
        await RegisterAsync(_http, """{"ID":"d-1","Name":"dereg","Check":{"TTL":"10s"}}""");
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(_http, "/v1/agent/service/deregister/d-1")).StatusCode);
        Assert.Null(await EurekaStatusAsync(_http, "DEREG", "d-1"));
        Assert.Empty(await HealthChecksAsync(_http, "dereg"));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/v1/agent/service/d-1")).StatusCode);
    }

    [Fact]
    public async Task RegisterAgain_KeepsCheckStatus_AndRenameMovesTheEurekaApplication()
    {
        await RegisterAsync(_http, """{"ID":"r-1","Name":"before","Check":{"TTL":"30s"}}""");
        await PutAsync(_http, "/v1/agent/check/pass/service:r-1");
        await RegisterAsync(_http, """{"ID":"r-1","Name":"before","Port":81,"Check":{"TTL":"30s"}}""");
        Assert.Equal(["service:r-1=passing"], await HealthChecksAsync(_http, "before"));

        await RegisterAsync(_http, """{"ID":"r-1","Name":"after","Check":{"TTL":"30s"}}""");
        Assert.Null(await EurekaStatusAsync(_http, "BEFORE", "r-1"));
        Assert.Equal("UP", await EurekaStatusAsync(_http, "AFTER", "r-1"));
    }

    [Theory]
    [InlineData("{", "Request decode failed: ")]
    [InlineData("""{"Port":80}""", "Missing service name")]
    [InlineData("""{"Name":"x","Port":"eighty"}""", "Request decode failed: Port must be an integer")]
    [InlineData("""{"Name":"x","Address":"0.0.0.0"}""", "Invalid service address")]
    [InlineData("""{"Name":"x","Meta":{"consul-x":"1"}}""", "Invalid Service Meta: Couldn't load metadata pair ('consul-x', '1'): Key prefix 'consul-' is reserved for internal use")]
    [InlineData("""{"Name":"x","Check":{"HTTP":"http://h/"}}""", "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP or UDP checks")]
    [InlineData("""{"Name":"x","Check":{"TTL":"10s","Interval":"10s"}}""", "Invalid check: Interval and TTL cannot both be specified")]
    [InlineData("""{"Name":"x","Check":{"TTL":"ten"}}""", "Request decode failed: TTL: time: invalid duration \"ten\"")]
    [InlineData("""{"Name":"x","Check":{"Args":["/bin/true"],"Interval":"10s"}}""", "Invalid check: Args checks are not supported by this server (TTL, HTTP and TCP checks are)")]
    [InlineData("""{"Name":"x","Check":{"TTL":"10s","Status":"ok"}}""", "Status for checks must 'passing', 'warning', 'critical'")]
    [InlineData("""{"Name":"delta"}""", "Invalid service name: 'delta' is reserved by the Eureka API this registry also serves")]
    public async Task Register_Invalid_400WithConsulsPlainTextReason(string body, string reason)
    {
        using var response = await PutAsync(_http, "/v1/agent/service/register", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var services = await GetJsonAsync(_http, "/v1/agent/services");
        Assert.Empty(services.RootElement.EnumerateObject());
    }

    [Fact]
    public async Task Errors_AsConsulAnswersThem()
    {
        await RegisterAsync(_http, """{"ID":"e-1","Name":"errs","Check":{"HTTP":"http://h:1/","Interval":"10s"}}""");

        await AssertError(await _http.GetAsync("/v1/agent/service/register"), HttpStatusCode.MethodNotAllowed, "method GET not allowed");
        await AssertError(await _http.DeleteAsync("/v1/health/service/errs"), HttpStatusCode.MethodNotAllowed, "method DELETE not allowed");
        await AssertError(await PutAsync(_http, "/v1/agent/service/deregister/nope"), HttpStatusCode.NotFound,
            "Unknown service ID \"nope\". Ensure that the service ID is passed, not the service name.");
        await AssertError(await PutAsync(_http, "/v1/agent/check/pass/nope"), HttpStatusCode.NotFound,
            "Unknown check ID \"nope\". Ensure that the check ID is passed, not the check name.");
        await AssertError(await PutAsync(_http, "/v1/agent/check/pass/service:e-1"), HttpStatusCode.InternalServerError,
            "CheckID \"service:e-1\" does not have associated TTL");
        await AssertError(await PutAsync(_http, "/v1/agent/check/update/service:e-1", """{"Status":"fine"}"""), HttpStatusCode.BadRequest, "Invalid check status: 'fine'");
        await AssertError(await PutAsync(_http, "/v1/agent/service/maintenance/e-1"), HttpStatusCode.BadRequest, "Missing value for enable");
        await AssertError(await PutAsync(_http, "/v1/agent/service/maintenance/e-1?enable=maybe"), HttpStatusCode.BadRequest, "Invalid value for enable: \"maybe\"");
        await AssertError(await PutAsync(_http, "/v1/agent/service/maintenance/nope?enable=true"), HttpStatusCode.NotFound, "No service registered with ID \"nope\"");
        await AssertError(await _http.GetAsync("/v1/agent/service/nope"), HttpStatusCode.NotFound, "unknown service ID: nope");
        await AssertError(await _http.GetAsync("/v1/health/service/errs?wait=soon&index=1"), HttpStatusCode.BadRequest, "Invalid wait time");
        await AssertError(await _http.GetAsync("/v1/health/service/errs?index=-1"), HttpStatusCode.BadRequest, "Invalid index");
        await AssertError(await _http.GetAsync("/v1/health/service/errs?dc=dc9"), HttpStatusCode.InternalServerError, "No path to datacenter");
        await AssertError(await _http.GetAsync("/v1/kv/some/key"), HttpStatusCode.NotFound, "404 page not found");

        using var allow = await _http.GetAsync("/v1/agent/service/register");
        Assert.Equal("PUT", allow.Content.Headers.Allow.Single());

        static async Task AssertError(HttpResponseMessage response, HttpStatusCode status, string body)
        {
            using (response)
            {
                Assert.Equal(status, response.StatusCode);
                Assert.Equal(body, await response.Content.ReadAsStringAsync());
            }
        }
    }

    [Fact]
    public async Task LegacyGetWrites_OfPythonConsul_Accepted()
    {
        await RegisterAsync(_http, """{"ID":"g-1","Name":"legacy","Check":{"TTL":"10s"}}""");
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/v1/agent/check/pass/service:g-1")).StatusCode);
        Assert.Equal("UP", await EurekaStatusAsync(_http, "LEGACY", "g-1"));
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/v1/agent/service/deregister/g-1")).StatusCode);
        Assert.Null(await EurekaStatusAsync(_http, "LEGACY", "g-1"));
    }

    [Fact]
    public async Task StatusAndSelf_AnswerLikeAConsulServer()
    {
        using var leader = await GetJsonAsync(_http, "/v1/status/leader");
        Assert.Equal(JsonValueKind.String, leader.RootElement.ValueKind);
        using var self = await GetJsonAsync(_http, "/v1/agent/self");
        Assert.Equal("dc1", self.RootElement.GetProperty("Config").GetProperty("Datacenter").GetString());
        Assert.True(self.RootElement.GetProperty("Config").GetProperty("Server").GetBoolean());
    }

    /// <summary>Answers HTTP checks with <see cref="Status"/> and records what was probed.</summary>
    private sealed class StubHandler : HttpMessageHandler
    {
        public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

        public System.Collections.Concurrent.ConcurrentQueue<(string Url, string? Probe)> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Enqueue((request.RequestUri!.ToString(), request.Headers.TryGetValues("X-Probe", out var v) ? v.Single() : null));
            return Task.FromResult(new HttpResponseMessage(Status) { Content = new StringContent("fine") });
        }
    }
}
