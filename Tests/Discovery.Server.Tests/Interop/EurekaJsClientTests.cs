using System.Net;
using System.Text.Json;
using Infrastructure.Testing;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Interop;

/// <summary>The npm <c>eureka-js-client</c> (4.5.0), unmodified, against a real server process.</summary>
public sealed class EurekaJsClientTests
{
    private const string Script = """
        const { Eureka } = require('eureka-js-client');
        const fs = require('fs');
        const quiet = { debug() {}, info() {}, warn: (...a) => console.error('WARN', ...a), error: (...a) => console.error('ERROR', ...a) };
        const client = new Eureka({
          instance: {
            app: 'jsinterop',
            instanceId: 'js-host:jsinterop:3000',
            hostName: 'js-host',
            ipAddr: '127.0.0.1',
            port: { '$': 3000, '@enabled': true },
            vipAddress: 'jsinterop',
            homePageUrl: 'http://127.0.0.1:3000/',
            statusPageUrl: 'http://127.0.0.1:3000/info',
            healthCheckUrl: 'http://127.0.0.1:3000/health',
            dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
          },
          eureka: {
            host: '127.0.0.1', port: Number(process.env.EUREKA_PORT), servicePath: '/eureka/apps/',
            heartbeatInterval: 1000, registryFetchInterval: 1000, maxRetries: 0, preferIpAddress: false,
          },
          shouldUseDelta: true,
          logger: quiet,
        });
        const deadline = Date.now() + 40000;
        client.start((err) => {
          if (err) { console.log('START_FAILED ' + err.message); process.exit(2); }
          console.log('REGISTERED');
          const poll = setInterval(() => {
            const ids = client.getInstancesByAppId('jsinterop').map((i) => i.instanceId).sort();
            const gateOpen = fs.existsSync(process.env.GATE_FILE);
            if ((ids.length >= 2 && gateOpen) || Date.now() > deadline) {
              clearInterval(poll);
              console.log('FOUND ' + JSON.stringify(ids));
              client.stop((stopErr) => {
                console.log(stopErr ? 'STOP_FAILED ' + stopErr.message : 'DEREGISTERED');
                process.exit(stopErr ? 3 : 0);
              });
            }
          }, 300);
        });
        """;

    [Fact]
    public async Task EurekaJsClient_RegistersIsFoundAndDeregisters()
    {
        await using var server = await ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
        {
            ["Eureka__Server__ResponseCacheUpdateIntervalMs"] = "500",
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(http, "jsinterop", "other-host:jsinterop:4000", "other-host", 4000)).StatusCode);

        var gate = Path.Combine(Path.GetTempPath(), $"eureka-js-gate-{Guid.NewGuid():N}");
        var script = NodeScript.RunAsync(Script, TimeSpan.FromSeconds(90), new Dictionary<string, string>
        {
            ["EUREKA_PORT"] = server.BaseUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["GATE_FILE"] = gate,
        });
        try
        {
            // Our own GET sees the js client's registration, and its heartbeats renew the lease.
            var renewed = await EventuallyAsync(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/eureka/apps/JSINTEROP/js-host:jsinterop:3000");
                request.Headers.Accept.ParseAdd("application/json");
                using var response = await http.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var i = doc.RootElement.GetProperty("instance");
                var lease = i.GetProperty("leaseInfo");
                return i.GetProperty("status").GetString() == "UP"
                    && i.GetProperty("port").GetProperty("$").GetInt32() == 3000
                    && lease.GetProperty("lastRenewalTimestamp").GetInt64() > lease.GetProperty("registrationTimestamp").GetInt64();
            }, TimeSpan.FromSeconds(40));
            Assert.True(renewed, "js client's instance never appeared renewed in GET /eureka/apps/JSINTEROP/{id}");
        }
        finally
        {
            await File.WriteAllTextAsync(gate, "go");
        }

        var (exit, output) = await script;
        File.Delete(gate);
        Assert.True(exit == 0, output);
        Assert.Contains("REGISTERED", output, StringComparison.Ordinal);
        Assert.Contains("FOUND [\"js-host:jsinterop:3000\",\"other-host:jsinterop:4000\"]", output, StringComparison.Ordinal);
        Assert.Contains("DEREGISTERED", output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/eureka/apps/JSINTEROP/js-host:jsinterop:3000")).StatusCode);
    }
    // Spring-style credentials in the service URL; the request library eureka-js-client uses turns them into Basic.
    private const string SecuredScript = """
        const { Eureka } = require('eureka-js-client');
        const quiet = { debug() {}, info() {}, warn() {}, error() {} };
        const client = new Eureka({
          instance: {
            app: 'jssecured', instanceId: 'js-host:jssecured:3000', hostName: 'js-host', ipAddr: '127.0.0.1',
            port: { '$': 3000, '@enabled': true }, vipAddress: 'jssecured',
            dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
          },
          eureka: { serviceUrls: { default: [process.env.EUREKA_URL] }, heartbeatInterval: 1000, registryFetchInterval: 1000, maxRetries: 0 },
          logger: quiet,
        });
        const deadline = Date.now() + 30000;
        client.start((err) => {
          if (err) { console.log('START_FAILED ' + err.message); process.exit(2); }
          console.log('REGISTERED');
          const poll = setInterval(() => {
            const ids = client.getInstancesByAppId('jssecured').map((i) => i.instanceId);
            if (ids.length > 0 || Date.now() > deadline) {
              clearInterval(poll);
              console.log('FOUND ' + JSON.stringify(ids));
              client.stop((stopErr) => {
                console.log(stopErr ? 'STOP_FAILED ' + stopErr.message : 'DEREGISTERED');
                process.exit(stopErr ? 3 : 0);
              });
            }
          }, 300);
        });
        """;

    [Fact]
    public async Task EurekaJsClient_SecuredServer_CredentialsInServiceUrlsRegisterFetchAndDeregister_WithoutThemRefused()
    {
        const string password = "js-Secret-9";
        await using var server = await ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
        {
            ["Eureka__Server__ResponseCacheUpdateIntervalMs"] = "500",
            ["Eureka__Server__Security__Enabled"] = "true",
            ["Spring__Security__User__Name"] = "eureka",
            ["Spring__Security__User__Password"] = password,
        });
        var port = server.BaseUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (refusedExit, refused) = await NodeScript.RunAsync(SecuredScript, TimeSpan.FromSeconds(60), new Dictionary<string, string>
        {
            ["EUREKA_URL"] = $"http://127.0.0.1:{port}/eureka/apps/",
        });
        Assert.True(refusedExit == 2 && refused.Contains("START_FAILED", StringComparison.Ordinal), refused);

        var (exit, output) = await NodeScript.RunAsync(SecuredScript, TimeSpan.FromSeconds(60), new Dictionary<string, string>
        {
            ["EUREKA_URL"] = $"http://eureka:{password}@127.0.0.1:{port}/eureka/apps/",
        });
        Assert.True(exit == 0, output);
        Assert.Contains("REGISTERED", output, StringComparison.Ordinal);
        Assert.Contains("FOUND [\"js-host:jssecured:3000\"]", output, StringComparison.Ordinal);
        Assert.Contains("DEREGISTERED", output, StringComparison.Ordinal);
    }
}
