using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;
using Xunit.Abstractions;

namespace Infrastructure.Gateway.Tests.Faults;

/// <summary>
/// Upstreams that break HTTP on the wire (reset mid-body, reset before answering, answer garbage) and routes whose host
/// does not resolve: the client gets an honest answer (an aborted response, or a 502 in Spring's error shape), the
/// load balancer counts the instance's failure, idempotent requests go on to the next instance, and the gateway keeps serving.
/// </summary>
public sealed class UpstreamFaultTests(ITestOutputHelper output)
{
    // Only a guard against a hang: every answer here is expected within milliseconds.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(MisbehavingUpstream.ChunkedHeadAndPartialBody)]
    [InlineData(MisbehavingUpstream.ContentLengthHeadAndPartialBody)]
    public async Task UpstreamResetMidBody_ClientSeesTheResponseAborted_LoggedOnce_GatewayKeepsServing(string headAndPartialBody)
    {
        await using var broken = MisbehavingUpstream.ResetMidBody(headAndPartialBody);
        await using var healthy = await TestBackend.StartAsync("a");
        var logs = new LogCapture();
        var c = new RouteConfig()
            .Route("broken", broken.Url, ["Path=/broken/**"])
            .Route("healthy", healthy.Url, ["Path=/healthy/**"]);
        await using var host = new GatewayHost(c.Settings, logs: logs);
        using var client = host.NewClient();

        using (var r = await client.GetAsync("/broken/x", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var body = await r.Content.ReadAsStreamAsync();
            Assert.Equal("partial-", await ReadExactlyAsync(body, 8));
            broken.ResetHeld();
            // The rest must fail: neither a hang nor an end of body that would pass a truncated body off as complete.
            await AssertRestBreaksOffAsync(body, "the truncated body ended as if it were complete", "the client connection hung after the upstream reset");
        }

        // Logged once, as a warning naming the route; the request line is the access log, not a second report.
        await logs.RequestLineAsync("/broken/x");
        var warnings = logs.AtLeast(LogEventLevel.Warning);
        Assert.True(warnings.Count == 1, "warnings: " + string.Join(" | ", warnings));
        Assert.Contains("broken", warnings[0], StringComparison.Ordinal);

        for (var i = 0; i < 3; i++)
        {
            using var next = await client.GetAsync("/healthy/x");
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }
    }

    [Fact]
    public async Task UpstreamResetMidBody_CountedAsConnectionFailure_InstanceStopsBeingChosen()
    {
        await using var broken = MisbehavingUpstream.ResetMidBody(MisbehavingUpstream.ContentLengthHeadAndPartialBody);
        await using var healthy = await TestBackend.StartAsync("a");
        var c = new RouteConfig().Instances("catalog", healthy.Url, broken.Url).Route("lb", "lb://catalog", ["Path=/lb/**"], ["StripPrefix=1"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        var resets = 0;
        for (var i = 0; i < 20 && resets < 3; i++)
        {
            using var r = await client.GetAsync("/lb/x", HttpCompletionOption.ResponseHeadersRead);
            if (r.Content.Headers.ContentType?.MediaType != "text/plain")
            {
                await r.Content.ReadAsStringAsync();
                continue;
            }
            var body = await r.Content.ReadAsStreamAsync();
            await ReadExactlyAsync(body, 8);
            broken.ResetHeld();
            await Assert.ThrowsAnyAsync<IOException>(() => body.CopyToAsync(Stream.Null));
            resets++;
        }
        Assert.Equal(3, resets);

        // Counted as Ribbon counts a connection failure: three in a row trip the instance.
        var stats = host.Services.GetRequiredService<ServiceLoadBalancer>().Stats.All.Single(s => s.InstanceId == $"127.0.0.1:catalog:{broken.Port}");
        Assert.Equal(3, stats.SuccessiveConnectionFailures);
        Assert.True(stats.IsCircuitBreakerTripped());
        Assert.Equal(0, stats.ActiveRequests);
        for (var i = 0; i < 10; i++)
        {
            using var r = await client.GetAsync("/lb/x");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.Equal(3, broken.Requests);
    }

    [Fact]
    public async Task UpstreamStallsMidBody_ResponseTimeoutBoundsEachRead_ClientSeesTheResponseAborted_InstanceCounted()
    {
        // Headers and a first chunk, then silence with the connection open: a process frozen (SIGSTOP) before its last chunk.
        await using var stalled = MisbehavingUpstream.ResetMidBody(MisbehavingUpstream.ChunkedHeadAndPartialBody);
        await using var healthy = await TestBackend.StartAsync("a");
        var logs = new LogCapture();
        var c = new RouteConfig()
            .Instances("catalog", stalled.Url)
            .Route("lb", "lb://catalog", ["Path=/lb/**"], ["StripPrefix=1"], new() { ["response-timeout"] = "1s" })
            .Route("healthy", healthy.Url, ["Path=/healthy/**"]);
        await using var host = new GatewayHost(c.Settings, logs: logs);
        using var client = host.NewClient();

        using (var r = await client.GetAsync("/lb/x", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var body = await r.Content.ReadAsStreamAsync();
            Assert.Equal("partial-", await ReadExactlyAsync(body, 8));
            // The upstream never resets: only the gateway's read timeout can end this.
            await AssertRestBreaksOffAsync(body, "the stalled body ended as if it were complete", "the client waited on a stalled upstream body past the response timeout");
        }

        await logs.RequestLineAsync("/lb/x");
        Assert.Contains(logs.AtLeast(LogEventLevel.Warning), w => w.Contains("stalled", StringComparison.Ordinal));
        // Counted against the instance as a broken response is, so one that keeps stalling trips.
        var stats = host.Services.GetRequiredService<ServiceLoadBalancer>().Stats.All.Single(s => s.InstanceId == $"127.0.0.1:catalog:{stalled.Port}");
        Assert.Equal(1, stats.SuccessiveConnectionFailures);
        Assert.Equal(0, stats.ActiveRequests);
        using var next = await client.GetAsync("/healthy/x");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task UpstreamStallsAfterHeaders_NothingSentYet_504InSpringShape()
    {
        await using var stalled = MisbehavingUpstream.ResetMidBody("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n");
        var c = new RouteConfig()
            .Route("stalled", stalled.Url, ["Path=/stalled/**"])
            .Set("Gateway:HttpClient:ResponseTimeout", "1s");
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();
        client.Timeout = Bound;

        using var r = await client.GetAsync("/stalled/x");
        await AssertSpringErrorAsync(r, HttpStatusCode.GatewayTimeout, "/stalled/x", "stalled");
    }

    [Fact]
    public async Task UpstreamResetBeforeResponse_IdempotentGetRetriedOnNextInstance_PostNotReplayed()
    {
        await using var reset = MisbehavingUpstream.ResetBeforeResponse();
        await using var reset2 = MisbehavingUpstream.ResetBeforeResponse();
        await using var healthy = await TestBackend.StartAsync("a");
        var c = new RouteConfig()
            .Instances("catalog", reset.Url, healthy.Url).Route("lb", "lb://catalog", ["Path=/lb/**"], ["StripPrefix=1"])
            .Instances("orders", reset.Url, reset2.Url).Route("orders", "lb://orders", ["Path=/orders/**"], ["StripPrefix=1"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        for (var i = 0; i < 6; i++)
        {
            using var r = await client.GetAsync("/lb/x");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.InRange(reset.Requests, 1, 3);
        var resetStats = host.Services.GetRequiredService<ServiceLoadBalancer>().Stats.All.Single(s => s.InstanceId == $"127.0.0.1:catalog:{reset.Port}");
        Assert.True(resetStats.TotalFailures >= 1);

        // The POST may have reached the instance before it went away: never replayed, answered 502.
        var before = reset.Requests + reset2.Requests;
        using var post = await client.PostAsync("/orders/x", new StringContent("{}", new MediaTypeHeaderValue("application/json")));
        await AssertSpringErrorAsync(post, HttpStatusCode.BadGateway, "/orders/x", "closed the connection");
        Assert.Equal(before + 1, reset.Requests + reset2.Requests);
    }

    [Theory]
    [InlineData("HELLO\r\n\r\n")]
    [InlineData("HTTP/9.9 200 OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nX-No-Colon\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok")]
    public async Task GarbageResponse_502InSpringShape_GetGoesToTheNextInstance(string garbage)
    {
        await using var bad = MisbehavingUpstream.Answer(garbage);
        await using var healthy = await TestBackend.StartAsync("a");
        var c = new RouteConfig()
            .Route("garbage", bad.Url, ["Path=/garbage/**"])
            .Instances("catalog", bad.Url, healthy.Url).Route("lb", "lb://catalog", ["Path=/lb/**"], ["StripPrefix=1"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        using (var r = await client.GetAsync("/garbage/x"))
        {
            await AssertSpringErrorAsync(r, HttpStatusCode.BadGateway, "/garbage/x", "invalid HTTP response");
        }

        var before = bad.Requests;
        for (var i = 0; i < 6; i++)
        {
            using var r = await client.GetAsync("/lb/x");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.True(bad.Requests > before, "the garbage instance was never chosen");
    }

    [Fact]
    public async Task UnresolvableHost_502NamingTheHost_BoundedByConnectTimeout_GatewayKeepsServing()
    {
        await using var healthy = await TestBackend.StartAsync("a");
        var c = new RouteConfig()
            .Route("nowhere", "http://no-such-host.invalid:8080", ["Path=/nowhere/**"], metadata: new() { ["connect-timeout"] = "3000" })
            .Route("healthy", healthy.Url, ["Path=/healthy/**"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();
        client.Timeout = Bound;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var r = await client.GetAsync("/nowhere/x"))
        {
            // A resolver that answers says the name does not exist (502); one that does not answer is cut off by the
            // route's connect timeout (504): never a wait for the resolver's own timeouts.
            var message = r.StatusCode == HttpStatusCode.GatewayTimeout
                ? await AssertSpringErrorAsync(r, HttpStatusCode.GatewayTimeout, "/nowhere/x", "timed out after 3000 ms")
                : await AssertSpringErrorAsync(r, HttpStatusCode.BadGateway, "/nowhere/x", "could not be resolved");
            Assert.Contains("no-such-host.invalid", message, StringComparison.Ordinal);
            output.WriteLine($"{(int)r.StatusCode} after {clock.ElapsedMilliseconds} ms: {message}");
        }

        using var next = await client.GetAsync("/healthy/x");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task LoadBalancedRouteWithoutInstances_503InSpringShape()
    {
        var c = new RouteConfig().Route("ghost", "lb://ghost", ["Path=/ghost/**"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        // Spring Cloud Gateway: 503 "Unable to find instance for ghost".
        using var r = await client.GetAsync("/ghost/x");
        await AssertSpringErrorAsync(r, HttpStatusCode.ServiceUnavailable, "/ghost/x", "no UP instance of service 'ghost'");
    }

    [Fact]
    public async Task ClientResetMidRequestBody_UpstreamCallCancelled_NothingLeaks_GatewayKeepsServing()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var c = new RouteConfig().Instances("catalog", backend.Url).Route("lb", "lb://catalog", ["Path=/lb/**"], ["StripPrefix=1"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();
        using var active = new ActiveRequestsGauge(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, host.Port);
            await tcp.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                $"POST /lb/upload HTTP/1.1\r\nHost: 127.0.0.1:{host.Port}\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n0123456789"));
            // The ten bytes have gone through to the upstream: the gateway is mid-request on both sides.
            await WaitForAsync(() => backend.Counters.GetValueOrDefault("received:/upload") >= 10, "the body never reached the upstream");
            Assert.Equal(1, active.Value);
            MisbehavingUpstream.Reset(tcp.Client);
        }

        await WaitForAsync(() => backend.Counters.GetValueOrDefault("body-aborted:/upload") == 1, "the upstream request was not cut off");
        await WaitForAsync(() => active.Value == 0, "gateway.requests.active did not return to 0");
        var stats = host.Services.GetRequiredService<ServiceLoadBalancer>().Stats.All.Single();
        await WaitForAsync(() => stats.ActiveRequests == 0, "the instance's active request count did not return to 0");
        // The client's fault, not the instance's.
        Assert.Equal(0, stats.SuccessiveConnectionFailures);

        using var next = await client.PostAsync("/lb/upload", new ByteArrayContent(new byte[100_000]));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(100_000, (await EchoResponse.ReadAsync(next)).BodyLength);
        Assert.Equal(0, active.Value);
    }

    /// <summary>The sum of one gateway's <c>gateway.requests.active</c> (an up-down counter) since this was created.</summary>
    private sealed class ActiveRequestsGauge : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private long _value;

        public ActiveRequestsGauge(System.Diagnostics.Metrics.IMeterFactory gatewayMeters)
        {
            // Only this gateway's meter: other tests run gateways in the same process.
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "gateway.requests.active" && ReferenceEquals(instrument.Meter.Scope, gatewayMeters))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, delta, _, _) => Interlocked.Add(ref _value, delta));
            _listener.Start();
        }

        public long Value => Interlocked.Read(ref _value);

        public void Dispose() => _listener.Dispose();
    }

    private static async Task WaitForAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(20);
        }
    }

    /// <summary>Checks Spring Boot's error shape and returns the message.</summary>
    internal static async Task<string> AssertSpringErrorAsync(HttpResponseMessage r, HttpStatusCode status, string path, string messagePart)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == status, $"{(int)r.StatusCode}: {text}");
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(text);
        var e = doc.RootElement;
        Assert.Equal((int)status, e.GetProperty("status").GetInt32());
        Assert.Equal(path, e.GetProperty("path").GetString());
        Assert.False(string.IsNullOrEmpty(e.GetProperty("error").GetString()));
        Assert.True(e.TryGetProperty("timestamp", out _));
        Assert.True(e.TryGetProperty("requestId", out _));
        var message = e.GetProperty("message").GetString() ?? "";
        Assert.Contains(messagePart, message, StringComparison.Ordinal);
        return message;
    }

    /// <summary>Reads the rest of <paramref name="body"/>: it must break off with an I/O error within <see cref="Bound"/>.</summary>
    private static async Task AssertRestBreaksOffAsync(Stream body, string endedMessage, string hungMessage)
    {
        using var bound = new CancellationTokenSource(Bound);
        var rest = new byte[4096];
        var failure = await Record.ExceptionAsync(async () =>
        {
            while (await body.ReadAsync(rest, bound.Token) > 0)
            {
            }
        });
        Assert.False(bound.IsCancellationRequested, hungMessage);
        Assert.False(failure is null, endedMessage);
        Assert.True(failure is IOException or HttpRequestException, failure.ToString());
    }

    private static async Task<string> ReadExactlyAsync(Stream body, int count)
    {
        using var bound = new CancellationTokenSource(Bound);
        var buffer = new byte[count];
        await body.ReadExactlyAsync(buffer, bound.Token);
        return System.Text.Encoding.ASCII.GetString(buffer);
    }
}
