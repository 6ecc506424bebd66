using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests.Support;

/// <summary>Two backends (a, b) and one gateway with a route per predicate/filter under test; shared by the routing and forwarding tests.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private GatewayHost? _host;

    internal TestBackend A { get; private set; } = null!;
    internal TestBackend B { get; private set; } = null!;
    internal int DeadPort { get; } = FreePort.Next();
    internal GatewayHost Host => _host!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        A = await TestBackend.StartAsync("a");
        B = await TestBackend.StartAsync("b");
        var dead = $"http://127.0.0.1:{DeadPort}";
        var c = new RouteConfig()
            .Instances("catalog", A.Url, B.Url)
            .Instances("flaky", dead, A.Url)
            .Instances("allgone", dead)
            .Set("Gateway:DefaultFilters:0", "AddResponseHeader=X-Default, yes")
            .Set("Gateway:CircuitBreakers:cb1:RequestVolumeThreshold", "2")
            .Set("Gateway:CircuitBreakers:cb1:SleepWindowInMilliseconds", "60000")
            .Set("Gateway:CircuitBreakers:cb1:TimeoutInMilliseconds", "10000")
            .Set("Gateway:CircuitBreakers:Default:TimeoutInMilliseconds", "10000")
            .Route("path", A.Url, ["Path=/api/catalog/**"], ["StripPrefix=1"])
            .Route("method", A.Url, ["Path=/method/**", "Method=POST,PUT"])
            .Route("host", A.Url, ["Path=/host/**", "Host=**.example.org"])
            .Route("host-var", B.Url, ["Path=/host/**", "Host={sub}.example.com"])
            .Route("header", A.Url, ["Path=/header/**", "Header=X-Request-Id, \\d+"])
            .Route("query", A.Url, ["Path=/query/**", "Query=color, gree."])
            .Route("query-present", B.Url, ["Path=/query/**", "Query=size"])
            .Route("cookie", A.Url, ["Path=/cookie/**", "Cookie=flavor, choc.*"])
            .Route("after", A.Url, ["Path=/after/**", "After=2017-01-20T17:42:47.789-07:00[America/Denver]"])
            .Route("before", A.Url, ["Path=/before/**", "Before=2017-01-20T17:42:47.789-07:00[America/Denver]"])
            .Route("between", A.Url, ["Path=/between/**", "Between=2017-01-20T17:42:47.789-07:00[America/Denver], 2999-01-21T17:42:47.789-07:00[America/Denver]"])
            .Route("remote", A.Url, ["Path=/remote/**", "RemoteAddr=127.0.0.1/8"])
            .Route("remote-denied", A.Url, ["Path=/remote-denied/**", "RemoteAddr=10.0.0.0/8,192.168.0.1"])
            .Route("weight-high", A.Url, ["Path=/weight/**", "Weight=group1, 8"])
            .Route("weight-low", B.Url, ["Path=/weight/**", "Weight=group1, 2"])
            .Route("rewrite", A.Url, ["Path=/rw/**"], ["RewritePath=/rw/(?<rest>.*), /$\\{rest}"])
            .Route("prefix", A.Url, ["Path=/pp/**"], ["PrefixPath=/v1"])
            .Route("setpath", A.Url, ["Path=/sp/{segment}"], ["SetPath=/seg/{segment}"])
            .Route("headers", A.Url, ["Path=/hdr/**"],
            [
                "AddRequestHeader=X-Lab, 1", "SetRequestHeader=X-Set, replaced", "RemoveRequestHeader=X-Remove",
                "AddResponseHeader=X-Resp, r", "SetResponseHeader=X-Backend-Header, overwritten", "RemoveResponseHeader=X-Backend-Secret",
                "AddRequestParameter=lab, 1",
            ])
            .Route("setstatus", A.Url, ["Path=/setstatus/**"], ["SetStatus=I_AM_A_TEAPOT"])
            .Route("redirect", A.Url, ["Path=/redirect/**"], ["RedirectTo=302, https://acme.org"])
            .Route("preserve", A.Url, ["Path=/preserve/**"], ["PreserveHostHeader"])
            .Route("size", A.Url, ["Path=/size/**"], ["RequestSize=10"])
            .Route("limited", A.Url, ["Path=/limited/**"], ["RequestRateLimiter=1, 2"])
            .Route("lb", "lb://catalog", ["Path=/lb/**"], ["StripPrefix=1"])
            .Route("lb-flaky", "lb://flaky", ["Path=/lbflaky/**"], ["StripPrefix=1"])
            .Route("lb-allgone", "lb://allgone", ["Path=/allgone/**"])
            .Route("lb-none", "lb://nothing", ["Path=/nosvc/**"])
            .Route("dead", dead, ["Path=/dead/**"])
            .Route("slow", A.Url, ["Path=/delay/**"], metadata: new() { ["response-timeout"] = "300" })
            .Route("retry", A.Url, ["Path=/flaky/**"], ["Retry=3"])
            .Route("no-retry", B.Url, ["Path=/noretry/**"], ["StripPrefix=1"])
            .Route("cb", dead, ["Path=/cb/**"], ["CircuitBreaker=cb1"])
            .Route("cb-fallback", dead, ["Path=/cbf/**"], ["CircuitBreaker=cb2, forward:/fallback/cbf"])
            .Route("fallback", A.Url, ["Path=/fallback/**"], ["FallbackHeaders"])
            .Route("ordered-late", B.Url, ["Path=/ordered/**"], order: 10)
            .Route("ordered-early", A.Url, ["Path=/ordered/**"], order: -1)
            .Route("stream", A.Url, ["Path=/stream"])
            .Route("ws", A.Url, ["Path=/ws"])
            .Route("bulkhead", A.Url, ["Path=/bulkhead/**"], ["SetPath=/delay/3000"], metadata: new() { ["max-concurrent-requests"] = "1" })
            .Route("echo", A.Url, ["Path=/echo/**"]);
        _host = new GatewayHost(c.Settings);
        Client = _host.NewClient();
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await _host!.DisposeAsync();
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
