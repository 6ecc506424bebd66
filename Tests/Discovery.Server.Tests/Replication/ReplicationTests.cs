using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Infrastructure.Discovery.Server.Replication;
using Infrastructure.Testing;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Replication;

public sealed class ReplicationTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8761/eureka/", "http://127.0.0.1:8761", true)]
    [InlineData("http://localhost:8761/eureka/", "http://127.0.0.1:8761", true)]
    [InlineData("http://127.0.0.1:8762/eureka/", "http://127.0.0.1:8761", false)]
    [InlineData("http://localhost:8761/eureka/", "http://*:8761", true)]
    [InlineData("http://peer.example:8761/eureka/", "http://127.0.0.1:8761", false)]
    public void IsSelf_ComparesHostAndPort(string peer, string own, bool expected) =>
        Assert.Equal(expected, PeerReplicator.IsSelf(new Uri(peer), [own]));

    [Fact]
    public void IsSelf_OwnInterfaceAddressWithWildcardBinding_True()
    {
        var ip = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)) ?? IPAddress.Loopback;

        Assert.True(PeerReplicator.IsSelf(new Uri($"http://{ip}:8761/eureka/"), ["http://0.0.0.0:8761"]));
        Assert.False(PeerReplicator.IsSelf(new Uri($"http://{ip}:8762/eureka/"), ["http://0.0.0.0:8761"]));
    }

    [Fact]
    public void PeerUrls_CommaSeparated_NormalisedWithTrailingSlash()
    {
        var o = new PeerOptions { ServiceUrl = { ["defaultZone"] = "http://a:1/eureka, http://b:2/eureka/" } };
        Assert.Equal([new Uri("http://a:1/eureka/"), new Uri("http://b:2/eureka/")], o.PeerUrls());
        Assert.Empty(o.InvalidUrls());
        Assert.Single(new PeerOptions { ServiceUrl = { ["DefaultZone"] = "not a url" } }.InvalidUrls());
    }

    [Fact]
    public async Task ThreeNodes_RegisterOnA_SyncedToLateC_SurvivesKillOfAWhileRenewingOnB()
    {
        var ports = new[] { FreePort.Next(), FreePort.Next(), FreePort.Next() };
        var zone = string.Join(",", ports.Select(p => $"http://127.0.0.1:{p}/eureka/"));
        var env = new Dictionary<string, string?>
        {
            ["Eureka__Client__ServiceUrl__DefaultZone"] = zone,
            ["Eureka__Server__EnableSelfPreservation"] = "false",
            ["Eureka__Server__EvictionIntervalTimerInMs"] = "500",
            ["Eureka__Server__UseReadOnlyResponseCache"] = "false",
            ["Eureka__Server__RegistrySyncRetries"] = "5",
            ["Eureka__Server__RegistrySyncRetryWaitMs"] = "1000",
            ["Eureka__Server__NumberOfReplicationRetries"] = "1",
        };
        var startAB = await Task.WhenAll(
            ServerProcess.StartAsync("Discovery.Server", ports[0], environment: env),
            ServerProcess.StartAsync("Discovery.Server", ports[1], environment: env));
        await using var a = startAB[0];
        await using var b = startAB[1];
        using var httpA = new HttpClient { BaseAddress = a.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        using var httpB = new HttpClient { BaseAddress = b.BaseUri, Timeout = TimeSpan.FromSeconds(5) };

        // Short leases so eviction is visible within the test; "synced" is long-lived and never renewed.
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterShortLeaseAsync(httpA, "kept", 10)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterShortLeaseAsync(httpA, "abandoned", 10)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterShortLeaseAsync(httpA, "synced", 90)).StatusCode);

        using var renewing = new CancellationTokenSource();
        var renewTarget = httpA;
        var renewer = Task.Run(async () =>
        {
            while (!renewing.IsCancellationRequested)
            {
                try
                {
                    using var r = await Volatile.Read(ref renewTarget).PutAsync("/eureka/apps/REPL/kept", null, renewing.Token);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }
                await Task.Delay(1000, CancellationToken.None);
            }
        });
        try
        {
            Assert.True(await EventuallyAsync(async () => (await IdsAsync(httpB)).SetEquals(["kept", "abandoned", "synced"]), TimeSpan.FromSeconds(20)),
                "B never received A's registrations");

            // C starts after the registrations: it can only know "synced" by its start-up sync from a peer.
            await using var c = await ServerProcess.StartAsync("Discovery.Server", ports[2], environment: env);
            using var httpC = new HttpClient { BaseAddress = c.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
            Assert.True(await EventuallyAsync(async () => (await IdsAsync(httpC)).IsSupersetOf(["kept", "synced"]), TimeSpan.FromSeconds(20)),
                "C never synced the registry from its peers");

            a.Kill();
            Volatile.Write(ref renewTarget, httpB);

            // The unrenewed lease expires everywhere; the one with the same lease, renewed on B, stays on B and on C.
            Assert.True(await EventuallyAsync(async () => !(await IdsAsync(httpB)).Contains("abandoned") && !(await IdsAsync(httpC)).Contains("abandoned"),
                TimeSpan.FromSeconds(30)), "abandoned instance was not evicted on B and C");
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.Contains("kept", await IdsAsync(httpB));
            Assert.Contains("kept", await IdsAsync(httpC));

            Assert.True(await EventuallyAsync(async () =>
            {
                using var health = JsonDocument.Parse(await httpB.GetStringAsync("/actuator/health"));
                var details = health.RootElement.GetProperty("components").GetProperty("eureka").GetProperty("details");
                return details.GetProperty("peers").GetInt32() == 2 && details.GetProperty("peersReachable").GetInt32() == 1;
            }, TimeSpan.FromSeconds(15)), "B did not report the killed peer as unreachable");
        }
        finally
        {
            await renewing.CancelAsync();
            await renewer;
        }
    }

    private static async Task<HttpResponseMessage> RegisterShortLeaseAsync(HttpClient http, string id, int durationInSecs)
    {
        var body = JsonBody("repl", id, hostName: id);
        body["instance"]!["leaseInfo"] = new JsonObject { ["renewalIntervalInSecs"] = 1, ["durationInSecs"] = durationInSecs };
        using var content = Content(body);
        return await http.PostAsync("/eureka/apps/REPL", content);
    }

    private static async Task<HashSet<string>> IdsAsync(HttpClient http)
    {
        using var doc = await GetJsonAsync(http, "/eureka/apps");
        return InstanceIds(doc, "REPL").ToHashSet();
    }
}
