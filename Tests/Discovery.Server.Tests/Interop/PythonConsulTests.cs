using System.Net;
using Infrastructure.Hosting.Processes;
using Infrastructure.Testing;

namespace Infrastructure.Discovery.Server.Tests.Interop;

/// <summary>Debian's <c>python3-consul</c> (0.7.1), unmodified, against a real server process; the test command installs it.</summary>
public sealed class PythonConsulTests
{
    private const string Python = "/usr/bin/python3";

    // 0.7.1 predates Consul 1.0: it sends lower-case keys, and GET for deregister and the TTL updates.
    private const string Script = """
        import os, sys, threading, time, consul
        c = consul.Consul(host='127.0.0.1', port=int(os.environ['CONSUL_PORT']))
        def out(*a): print(*a, flush=True)
        out('REGISTER', c.agent.service.register('pyconsul', service_id='py-1', address='10.8.0.1', port=5000, tags=['py'],
                                                check=consul.Check.ttl('30s')))
        index, nodes = c.health.service('pyconsul', passing=True)
        out('PASSING_BEFORE', len(nodes))
        passed = {}
        timer = threading.Timer(0.5, lambda: passed.update(ok=c.agent.check.ttl_pass('service:py-1')))
        timer.start()
        started = time.time()
        index2, nodes = c.health.service('pyconsul', index=index, wait='30s', passing=True)
        timer.join()
        out('PASS', passed.get('ok'))
        out('BLOCKED_RETURNED', [n['Service']['ID'] for n in nodes], 'early=%s' % (time.time() - started < 25), 'newer=%s' % (int(index2) > int(index)))
        out('AGENT', sorted(c.agent.services().keys()))
        out('CATALOG', c.catalog.services()[1])
        out('MAINTENANCE', c.agent.service.maintenance('py-1', 'true', 'upgrade'))
        out('CHECKS', sorted(ck['CheckID'] + '=' + ck['Status'] for ck in c.health.service('pyconsul')[1][0]['Checks']))
        out('MAINTENANCE_OFF', c.agent.service.maintenance('py-1', 'false'))
        out('FAIL', c.agent.check.ttl_fail('service:py-1', 'broken'))
        out('PASSING_AFTER_FAIL', len(c.health.service('pyconsul', passing=True)[1]))
        out('DEREGISTER', c.agent.service.deregister('py-1'))
        out('AFTER', c.health.service('pyconsul')[1])
        """;

    [Fact]
    public async Task PythonConsul_RegistersBlocksOnHealthMaintainsFailsAndDeregisters()
    {
        Assert.True(File.Exists("/usr/lib/python3/dist-packages/consul/__init__.py"),
            "Debian's python3-consul is not installed: run the tests with `dotnet pwsh ./build.ps1 test`, which installs it");
        await using var server = await ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
        {
            ["Eureka__Server__UseReadOnlyResponseCache"] = "false",
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(10) };

        var (exit, output) = await RunAsync(Script, server.BaseUri.Port, TimeSpan.FromSeconds(90));

        Assert.True(exit == 0, output);
        string[] expected =
        [
            "REGISTER True",
            "PASSING_BEFORE 0",
            "PASS True",
            "BLOCKED_RETURNED ['py-1'] early=True newer=True",
            "AGENT ['py-1']",
            "CATALOG {'pyconsul': ['py']}",
            "MAINTENANCE True",
            "CHECKS ['_service_maintenance:py-1=critical', 'service:py-1=passing']",
            "MAINTENANCE_OFF True",
            "FAIL True",
            "PASSING_AFTER_FAIL 0",
            "DEREGISTER True",
            "AFTER []",
        ];
        Assert.Equal(expected, output.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/eureka/apps/PYCONSUL/py-1")).StatusCode);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string script, int port, TimeSpan timeout)
    {
        var spec = new ProcessSpec(Python, ["-c", script]);
        spec.Environment["CONSUL_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The script must reach the test server, never a proxy or an address the environment names.
        spec.Environment["CONSUL_HTTP_ADDR"] = null;
        spec.Environment["CONSUL_HTTP_TOKEN"] = null;
        spec.Environment["NO_PROXY"] = "127.0.0.1";
        var r = await ProcessRunner.RunAsync(spec, timeout);
        if (r.TimedOut)
        {
            return (-1, "TIMEOUT\n" + r.StandardOutput + r.StandardError);
        }
        return (r.ExitCode, r.StandardOutput + (r.StandardError.Length > 0 ? "\n" + r.StandardError : ""));
    }
}
