using System.Net;
using Infrastructure.Testing;

namespace Infrastructure.Discovery.Server.Tests.Interop;

/// <summary>The npm <c>consul</c> client (2.0.1), unmodified, against a real server process.</summary>
public sealed class ConsulJsClientTests
{
    // Registers with a TTL check, watches health.service(passing) (a blocking query loop), passes the check, sees the
    // instance arrive; a blocking query then returns on the Eureka-side change; deregisters and sees it leave.
    private const string Script = """
        const Consul = require('consul');
        const consul = new Consul({ host: '127.0.0.1', port: Number(process.env.CONSUL_PORT), defaults: process.env.CONSUL_TOKEN ? { token: process.env.CONSUL_TOKEN } : undefined });
        const log = (...a) => console.log(...a);
        const fail = (m) => { log('FAILED ' + m); process.exit(2); };
        setTimeout(() => fail('timeout'), 60000);
        (async () => {
          await consul.agent.service.register({ name: 'jsconsul', id: 'jsconsul-1', address: '10.7.0.1', port: 3000, tags: ['js'], meta: { lang: 'node' }, check: { ttl: '30s' } });
          log('REGISTERED');
          const seen = [];
          let blockedDone = Promise.resolve();
          const watch = consul.watch({ method: consul.health.service, options: { service: 'jsconsul', passing: true, wait: '10s' } });
          watch.on('error', (e) => log('WATCH_ERROR ' + e.message));
          watch.on('change', async (data, res) => {
            const ids = JSON.stringify(data.map((e) => e.Service.ID));
            seen.push(ids);
            log('CHANGE ' + ids);
            try {
              if (seen.length === 1) {
                await consul.agent.check.pass('service:jsconsul-1');
              } else if (seen.length === 2) {
                // A blocking query of our own, returning when the instance goes out of service through Eureka.
                const index = res.headers['x-consul-index'];
                const started = Date.now();
                const blocked = consul.health.service({ service: 'jsconsul', passing: true, index, wait: '30s' });
                blockedDone = blocked.then((after) => log('BLOCKED_RETURNED ' + JSON.stringify(after.map((e) => e.Service.ID)) + ' early=' + (Date.now() - started < 25000)));
                setTimeout(() => fetch(process.env.EUREKA_STATUS_URL, { method: 'PUT' }).catch((e) => fail(e.message)), 500);
                await blockedDone;
              } else if (seen.length === 3) {
                await blockedDone;
                await consul.agent.service.deregister('jsconsul-1');
                const services = await consul.agent.service.list();
                log('AGENT_AFTER ' + JSON.stringify(Object.keys(services)));
                watch.end();
                log('DONE');
                process.exit(0);
              }
            } catch (e) { fail(e.message); }
          });
        })().catch((e) => fail(e.message));
        """;

    [Fact]
    public async Task ConsulJs_RegistersWatchesBlocksAndDeregisters_SeenByEurekaAlongTheWay()
    {
        await using var server = await ServerProcess.StartAsync("Discovery.Server");
        var port = server.BaseUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (exit, output) = await NodeScript.RunAsync(Script, TimeSpan.FromSeconds(90), new Dictionary<string, string>
        {
            ["CONSUL_PORT"] = port,
            ["EUREKA_STATUS_URL"] = $"http://127.0.0.1:{port}/eureka/apps/JSCONSUL/jsconsul-1/status?value=OUT_OF_SERVICE",
        });

        Assert.True(exit == 0, output + "\n--- server ---\n" + server.Output);
        Assert.Contains("REGISTERED", output, StringComparison.Ordinal);
        Assert.Contains("CHANGE []\nCHANGE [\"jsconsul-1\"]\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("BLOCKED_RETURNED [] early=true", output, StringComparison.Ordinal);
        Assert.Contains("AGENT_AFTER []", output, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/eureka/apps/JSCONSUL/jsconsul-1")).StatusCode);
    }

    [Fact]
    public async Task ConsulJs_SecuredServer_TokenOptionIsThePassword_WithoutItRefused()
    {
        const string password = "js-Consul-Token-1";
        await using var server = await ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
        {
            ["Eureka__Server__Security__Enabled"] = "true",
            ["Spring__Security__User__Password"] = password,
        });
        var port = server.BaseUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        const string register = """
            const Consul = require('consul');
            const consul = new Consul({ host: '127.0.0.1', port: Number(process.env.CONSUL_PORT), defaults: process.env.CONSUL_TOKEN ? { token: process.env.CONSUL_TOKEN } : undefined });
            consul.agent.service.register({ name: 'jssecure', id: 'jssecure-1', port: 1 })
              .then(() => consul.health.service('jssecure'))
              .then((r) => { console.log('OK ' + JSON.stringify(r.map((e) => e.Service.ID))); })
              .catch((e) => { console.log('REFUSED ' + e.statusCode + ' ' + e.message); process.exit(2); });
            """;

        var (refusedExit, refused) = await NodeScript.RunAsync(register, TimeSpan.FromSeconds(30), new Dictionary<string, string> { ["CONSUL_PORT"] = port });
        Assert.True(refusedExit == 2 && refused.Contains("REFUSED 403", StringComparison.Ordinal), refused);

        var (exit, output) = await NodeScript.RunAsync(register, TimeSpan.FromSeconds(30), new Dictionary<string, string> { ["CONSUL_PORT"] = port, ["CONSUL_TOKEN"] = password });
        Assert.True(exit == 0, output);
        Assert.Contains("OK [\"jssecure-1\"]", output, StringComparison.Ordinal);
    }
}
