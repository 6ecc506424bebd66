using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Infrastructure.Testing;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Security;

/// <summary>Real server processes with the registry closed: peers authenticate to each other with the credentials in their URLs.</summary>
public sealed class SecuredReplicationTests
{
    private const string User = "eureka";
    // Characters that must be percent-encoded in a URL's user info, so decoding is exercised too.
    private const string Password = "p@ss:w0rd/Secret!";

    private static readonly AuthenticationHeaderValue Auth = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password)));

    private static string PeerUrl(int port, bool withCredentials) => withCredentials
        ? $"http://{User}:{Uri.EscapeDataString(Password)}@127.0.0.1:{port}/eureka/"
        : $"http://127.0.0.1:{port}/eureka/";

    private static Dictionary<string, string?> Secured(IEnumerable<int> peers, bool withCredentials) => new()
    {
        ["Eureka__Client__ServiceUrl__DefaultZone"] = string.Join(",", peers.Select(p => PeerUrl(p, withCredentials))),
        ["Eureka__Server__Security__Enabled"] = "true",
        ["Spring__Security__User__Name"] = User,
        ["Spring__Security__User__Password"] = Password,
        ["Eureka__Server__UseReadOnlyResponseCache"] = "false",
        ["Eureka__Server__RegistrySyncRetries"] = "5",
        ["Eureka__Server__RegistrySyncRetryWaitMs"] = "1000",
        ["Eureka__Server__NumberOfReplicationRetries"] = "1",
    };

    private static HttpClient Client(ServerProcess server)
    {
        var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = Auth;
        return http;
    }

    private static async Task<HashSet<string>> IdsAsync(HttpClient http)
    {
        using var doc = await GetJsonAsync(http, "/eureka/apps");
        return InstanceIds(doc, "SECURED").ToHashSet();
    }

    [Fact]
    public async Task PeerUrlsWithCredentials_WritesReplicateAndALateNodeSyncs()
    {
        var ports = new[] { FreePort.Next(), FreePort.Next(), FreePort.Next() };
        var env = Secured(ports, withCredentials: true);
        var started = await Task.WhenAll(
            ServerProcess.StartAsync("Discovery.Server", ports[0], environment: env),
            ServerProcess.StartAsync("Discovery.Server", ports[1], environment: env));
        await using var a = started[0];
        await using var b = started[1];
        using var httpA = Client(a);
        using var httpB = Client(b);

        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(httpA, "secured", "r1")).StatusCode);
        using (var overridden = await httpA.PutAsync("/eureka/apps/SECURED/r1/status?value=OUT_OF_SERVICE", null))
        {
            Assert.Equal(HttpStatusCode.OK, overridden.StatusCode);
        }
        Assert.True(await EventuallyAsync(async () =>
        {
            using var doc = await GetJsonAsync(httpB, "/eureka/apps/SECURED/r1");
            return doc.RootElement.GetProperty("instance").GetProperty("overriddenStatus").GetString() == "OUT_OF_SERVICE";
        }, TimeSpan.FromSeconds(20)), "B never received A's registration and status override:\n" + a.Output);

        // C starts after the writes: it can only know r1 through its start-up sync, a GET that needs the credentials too.
        await using var c = await ServerProcess.StartAsync("Discovery.Server", ports[2], environment: env);
        using var httpC = Client(c);
        Assert.True(await EventuallyAsync(async () => (await IdsAsync(httpC)).Contains("r1"), TimeSpan.FromSeconds(20)),
            "C never synced the registry from its peers:\n" + c.Output);
    }

    [Fact]
    public async Task PeerUrlsWithoutCredentials_PeerRefusesTheWrites_AndTheNodeSaysWhy()
    {
        var ports = new[] { FreePort.Next(), FreePort.Next() };
        var env = Secured(ports, withCredentials: false);
        var started = await Task.WhenAll(
            ServerProcess.StartAsync("Discovery.Server", ports[0], environment: env),
            ServerProcess.StartAsync("Discovery.Server", ports[1], environment: env));
        await using var a = started[0];
        await using var b = started[1];
        using var httpA = Client(a);
        using var httpB = Client(b);

        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(httpA, "secured", "r1")).StatusCode);

        // Once A has been refused, the registration has been tried and will not be retried.
        Assert.True(await EventuallyAsync(() => Task.FromResult(a.Output.Contains("refused Register with 401", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20)), "A never reported that its peer refused it:\n" + a.Output);
        Assert.DoesNotContain("r1", await IdsAsync(httpB));
        using var health = JsonDocument.Parse(await httpA.GetStringAsync("/actuator/health"));
        var details = health.RootElement.GetProperty("components").GetProperty("eureka").GetProperty("details");
        Assert.Equal(1, details.GetProperty("peers").GetInt32());
        Assert.Equal(0, details.GetProperty("peersReachable").GetInt32());
    }

    [Fact]
    public async Task Logs_AtVerbose_NeverContainThePassword()
    {
        var deadPeer = FreePort.Next();
        var env = Secured([deadPeer], withCredentials: true);
        env["Eureka__Server__NumberOfReplicationRetries"] = "0";
        env["Eureka__Server__Security__AuthenticationThrottle__PermitLimit"] = "2";
        env["Serilog__MinimumLevel__Default"] = "Verbose";
        env["Serilog__MinimumLevel__Override__Microsoft.AspNetCore"] = "Verbose";
        env["Serilog__MinimumLevel__Override__System.Net.Http"] = "Verbose";
        await using var server = await ServerProcess.StartAsync("Discovery.Server", environment: env);
        using var http = Client(server);
        using var anonymous = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        using var wrong = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        wrong.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password + "x")));

        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(http, "secured", "r1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RegisterAsync(anonymous, "secured", "r2")).StatusCode);
        using (var page = await http.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
        for (var i = 0; i < 3; i++)
        {
            using var r = await wrong.GetAsync("/eureka/apps");
        }

        // The peer URL is logged (start, failed replication): wait for it, then look for the secret in every form.
        var peer = $"http://127.0.0.1:{deadPeer}/eureka/";
        Assert.True(await EventuallyAsync(() => Task.FromResult(server.Output.Contains($"Replication to {peer} failed", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20)), "the failed replication was never logged:\n" + server.Output);
        Assert.True(await EventuallyAsync(() => Task.FromResult(server.Output.Contains("Too many wrong credentials", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10)), "the throttle never logged:\n" + server.Output);
        var output = server.Output;
        Assert.Contains($"Replicating to peers: {peer}", output, StringComparison.Ordinal);
        foreach (var secret in (string[])[Password, Uri.EscapeDataString(Password), Auth.Parameter!, "p@ss"])
        {
            Assert.False(output.Contains(secret, StringComparison.Ordinal), $"'{secret}' appears in the log:\n{output}");
        }
    }
}
