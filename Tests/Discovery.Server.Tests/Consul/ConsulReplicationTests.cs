using System.Net;
using System.Text;
using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.Discovery.Server.Tests.Consul;

/// <summary>A registration made through the Consul API replicates to Eureka peers like a Eureka client's, status changes included.</summary>
public sealed class ConsulReplicationTests
{
    [Fact]
    public async Task RegisterCheckAndDeregisterOnA_SeenOnPeerB_ThroughBothApis()
    {
        var ports = new[] { FreePort.Next(), FreePort.Next() };
        var env = new Dictionary<string, string?>
        {
            ["Eureka__Client__ServiceUrl__DefaultZone"] = string.Join(",", ports.Select(p => $"http://127.0.0.1:{p}/eureka/")),
            ["Eureka__Server__UseReadOnlyResponseCache"] = "false",
            ["Eureka__Server__RegistrySyncRetries"] = "0",
        };
        var started = await Task.WhenAll(
            ServerProcess.StartAsync("Discovery.Server", ports[0], environment: env),
            ServerProcess.StartAsync("Discovery.Server", ports[1], environment: env));
        await using var a = started[0];
        await using var b = started[1];
        using var httpA = new HttpClient { BaseAddress = a.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var httpB = new HttpClient { BaseAddress = b.BaseUri, Timeout = TimeSpan.FromSeconds(10) };

        using (var body = new StringContent("""{"ID":"rep-1","Name":"replicated","Tags":["t1"],"Port":4000,"Check":{"TTL":"60s"}}""", Encoding.UTF8, "application/json"))
        {
            Assert.Equal(HttpStatusCode.OK, (await httpA.PutAsync("/v1/agent/service/register", body)).StatusCode);
        }
        Assert.True(await TestInstances.EventuallyAsync(async () => await StatusAsync(httpB) == "DOWN", TimeSpan.FromSeconds(30)),
            "B never saw the registration\n" + a.Output);

        Assert.Equal(HttpStatusCode.OK, (await httpA.PutAsync("/v1/agent/check/pass/service:rep-1", null)).StatusCode);
        Assert.True(await TestInstances.EventuallyAsync(async () => await StatusAsync(httpB) == "UP", TimeSpan.FromSeconds(30)), "B never saw the check pass");
        // B's Consul API serves it too, tags included (they travel in Eureka metadata).
        using (var doc = JsonDocument.Parse(await httpB.GetStringAsync("/v1/health/service/replicated?passing")))
        {
            var service = Assert.Single(doc.RootElement.EnumerateArray()).GetProperty("Service");
            Assert.Equal("rep-1", service.GetProperty("ID").GetString());
            Assert.Equal(["t1"], service.GetProperty("Tags").EnumerateArray().Select(t => t.GetString()));
        }

        Assert.Equal(HttpStatusCode.OK, (await httpA.PutAsync("/v1/agent/service/maintenance/rep-1?enable=true", null)).StatusCode);
        Assert.True(await TestInstances.EventuallyAsync(async () => await StatusAsync(httpB) == "OUT_OF_SERVICE", TimeSpan.FromSeconds(30)), "B never saw maintenance");

        Assert.Equal(HttpStatusCode.OK, (await httpA.PutAsync("/v1/agent/service/deregister/rep-1", null)).StatusCode);
        Assert.True(await TestInstances.EventuallyAsync(async () => await StatusAsync(httpB) is null, TimeSpan.FromSeconds(30)), "B never saw the deregistration");
    }

    private static async Task<string?> StatusAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/eureka/apps/REPLICATED/rep-1");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("instance").GetProperty("status").GetString();
    }
}
