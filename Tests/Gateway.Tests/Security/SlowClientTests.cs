using System.Net.Sockets;
using System.Text;
using Infrastructure.Gateway.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Infrastructure.Gateway.Tests.Security;

/// <summary>
/// Slowloris-style clients that hold a connection open by trickling bytes: Kestrel's RequestHeadersTimeout and
/// MinRequestBodyDataRate, lowered through <c>Kestrel:Limits</c>, close them.
/// </summary>
public sealed class SlowClientTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Ten times the configured limits, and below Kestrel's defaults (30 s header timeout), so a gateway that ignored the
    // settings would fail here instead of passing on its defaults. Not a speed check: only that the close comes at all.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private TestBackend _backend = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("a");
        var c = new RouteConfig()
            .Route("echo", _backend.Url, ["Path=/echo/**"])
            .Route("guarded", _backend.Url, ["Path=/guarded/**"], ["CircuitBreaker=guarded"])
            .Set("Gateway:CircuitBreakers:guarded:RequestVolumeThreshold", "2")
            .Set("Gateway:CircuitBreakers:guarded:ErrorThresholdPercentage", "50")
            .Set("Gateway:CircuitBreakers:guarded:SleepWindowInMilliseconds", "60000")
            // The breaker's own timeout would fail a slow upload first; this test is about the body-rate failure.
            .Set("Gateway:CircuitBreakers:guarded:TimeoutInMilliseconds", "0")
            .Set("Kestrel:Limits:RequestHeadersTimeout", "00:00:02")
            .Set("Kestrel:Limits:MinRequestBodyDataRate:BytesPerSecond", "100")
            .Set("Kestrel:Limits:MinRequestBodyDataRate:GracePeriod", "00:00:02");
        _host = new GatewayHost(c.Settings);
        _host.StartServer();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public void KestrelLimitsSection_ReachesKestrel()
    {
        var limits = _host.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;

        Assert.Equal(TimeSpan.FromSeconds(2), limits.RequestHeadersTimeout);
        Assert.Equal(100, limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(2), limits.MinRequestBodyDataRate.GracePeriod);
        // Keys not given keep Kestrel's defaults.
        Assert.Equal(32 * 1024, limits.MaxRequestHeadersTotalSize);
        Assert.Equal(240, limits.MinResponseDataRate!.BytesPerSecond);
    }

    [Fact]
    public async Task HeadersTrickledForever_ConnectionClosedByHeadersTimeout()
    {
        // One more header byte every 200 ms, never the blank line: the headers never complete.
        var (closed, answer) = await TrickleAsync("GET /echo/slow HTTP/1.1\r\nHost: x", i => i % 20 == 0 ? $"\r\nX-Trickle-{i}: " : "a");

        output.WriteLine($"closed={closed}; answer: {answer}");
        Assert.True(closed, "the gateway kept a connection whose headers never completed open past the deadline");
        // Kestrel answers 408 when it can still write; the request never reached the proxy.
        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 408 ", StringComparison.Ordinal), answer);
        Assert.Equal(0, _backend.Requests);
    }

    [Fact]
    public async Task BodyTrickledBelowMinimumRate_ConnectionClosed()
    {
        // A byte every 200 ms: 5 B/s against a 100 B/s minimum; the body would take hours to finish.
        var (closed, answer) = await TrickleAsync("POST /echo/slow-body HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", _ => "x");

        output.WriteLine($"closed={closed}; answer: {answer}; backend saw [{string.Join(", ", _backend.Received)}]");
        Assert.True(closed, "the gateway kept a connection whose body arrived below the minimum rate open past the deadline");
        // The client was too slow, not the upstream: 408 (or just the close), never a 502 that blames the backend.
        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 408 ", StringComparison.Ordinal), answer);
    }

    [Fact]
    public async Task SlowBodies_DoNotOpenTheRoutesCircuit()
    {
        // Three slow clients against a breaker that opens at 50 % failures of 2 requests: were their timeouts counted as
        // upstream failures, a handful of slow clients could take a healthy route down for everyone (the sleep window is 60 s).
        var slow = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            TrickleAsync("POST /guarded/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", _ => "x")));
        Assert.All(slow, s => Assert.True(s.Closed));

        using var client = _host.NewClient();
        using var after = await client.GetAsync("/guarded/x");
        Assert.Equal(System.Net.HttpStatusCode.OK, after.StatusCode);
    }

    /// <summary>Sends <paramref name="head"/>, then <paramref name="next"/>(i) every 200 ms until the server closes the connection or the deadline passes.</summary>
    private async Task<(bool Closed, string Answer)> TrickleAsync(string head, Func<int, string> next)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _host.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var deadline = Task.Delay(Deadline);
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        var read = stream.ReadAsync(buffer).AsTask();
        for (var i = 0; !deadline.IsCompleted; i++)
        {
            var tick = Task.Delay(TimeSpan.FromMilliseconds(200));
            while (await Task.WhenAny(read, tick) == read)
            {
                int n;
                try
                {
                    n = await read;
                }
                catch (IOException)
                {
                    return (true, answer.ToString());
                }
                if (n == 0)
                {
                    return (true, answer.ToString());
                }
                answer.Append(Encoding.Latin1.GetString(buffer, 0, n));
                read = stream.ReadAsync(buffer).AsTask();
            }
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(next(i)));
            }
            catch (IOException)
            {
                return (true, answer.ToString());
            }
        }
        // Still open: disposing the socket ends the pending read.
        return (false, answer.ToString());
    }
}
