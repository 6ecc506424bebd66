using System.Net;
using System.Net.Sockets;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Forwarding;

/// <summary>An instance that takes connections and never answers (a process frozen with SIGSTOP).</summary>
public sealed class HungInstanceTests
{
    [Fact]
    public void LbRoutes_RibbonReadTimeoutByDefault_OneSecondPerAttempt()
    {
        // Spring Cloud Netflix's Ribbon default; the test below runs with a longer one so that a loaded machine's slow
        // (but healthy) answer is not taken for a hung one.
        var o = new Infrastructure.Discovery.Client.LoadBalancing.LoadBalancerOptions();
        Assert.Equal(1000, o.ReadTimeoutFor("catalog"));
        Assert.Equal(1, o.MaxAutoRetriesNextServer);
    }

    [Fact]
    public async Task HungInstance_ReadTimeout_EveryGetAnsweredAndTheInstanceStopsBeingChosen()
    {
        await using var healthy = await TestBackend.StartAsync("a");
        using var hung = new HungListener();
        var c = new RouteConfig()
            .Instances("catalog", healthy.Url, hung.Url)
            .Route("lb", "lb://catalog", ["Path=/lb/**"], ["StripPrefix=1"])
            .Route("warm", healthy.Url, ["Path=/warm/**"], ["StripPrefix=1"])
            .Set("Gateway:LoadBalancer:ReadTimeout", "3000");
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();
        client.Timeout = TimeSpan.FromSeconds(60);
        // Warm the forwarding path (and the backend) on a static route first, so the first lb:// answers are not slowed
        // by JIT on a busy machine.
        using (var warm = await client.GetAsync("/warm/x"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var statuses = new List<HttpStatusCode>();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                using var r = await client.GetAsync("/lb/x");
                lock (statuses)
                {
                    statuses.Add(r.StatusCode);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);

        // No request failed: the one that met the hung instance timed out there (Ribbon's ReadTimeout) and went on
        // to the next instance.
        Assert.Equal(40, statuses.Count);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        // Three timeouts in a row trip it (Ribbon's connectionFailureCountThreshold), so the load balancer stops sending
        // it requests: with round robin it would otherwise have had half of the 40.
        Assert.InRange(hung.Connections, 1, 3 + 4);
        Assert.InRange(healthy.Requests, 41, 41);
    }

    [Fact]
    public async Task HungInstance_PostIsNotReplayed_504AfterOneTimeout()
    {
        using var hung = new HungListener();
        var c = new RouteConfig().Instances("catalog", hung.Url).Route("lb", "lb://catalog", ["Path=/lb/**"], ["StripPrefix=1"], metadata: new() { ["response-timeout"] = "300" });
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        using var r = await client.PostAsync("/lb/orders", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, r.StatusCode);
        Assert.Contains("within 300 ms", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowUpload_TimeoutCountsFromTheEndOfTheBody()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var c = new RouteConfig().Route("up", backend.Url, ["Path=/up/**"], metadata: new() { ["response-timeout"] = "500" });
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        // The body takes about three times the response timeout to arrive; the backend answers as soon as it has it.
        using var r = await client.PostAsync("/up/file", new SlowContent(pieces: 6, pause: TimeSpan.FromMilliseconds(250)));

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var echo = await EchoResponse.ReadAsync(r);
        Assert.Equal(6 * 1024, echo.BodyLength);
    }

    private sealed class SlowContent(int pieces, TimeSpan pause) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var i = 0; i < pieces; i++)
            {
                await stream.WriteAsync(new byte[1024]);
                await stream.FlushAsync();
                await Task.Delay(pause);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = pieces * 1024;
            return true;
        }
    }

    /// <summary>Accepts connections and reads nothing, answers nothing.</summary>
    internal sealed class HungListener : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<Socket> _accepted = [];
        private readonly CancellationTokenSource _stop = new();
        private int _connections;

        public HungListener()
        {
            _listener.Start(512);
            _ = AcceptAsync();
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    lock (_accepted)
                    {
                        _accepted.Add(socket);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_accepted)
            {
                foreach (var s in _accepted)
                {
                    s.Dispose();
                }
            }
            _stop.Dispose();
        }
    }
}
