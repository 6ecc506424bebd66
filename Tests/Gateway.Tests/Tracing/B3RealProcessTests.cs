using System.Diagnostics;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests.Tracing;

public sealed class B3RealProcessTests
{
    [Fact]
    public async Task RealGatewayProcess_SingleB3Header_DownstreamGetsSameTraceAsW3cAndB3()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await ServerProcess.StartAsync("Gateway", args:
        [
            "--Gateway:Routes:0:Id=echo", $"--Gateway:Routes:0:Uri={backend.Url}", "--Gateway:Routes:0:Predicates:0=Path=/echo/**",
        ]);
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null, UseProxy = false })
        {
            BaseAddress = gateway.BaseUri,
            Timeout = TimeSpan.FromSeconds(30),
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo/b3");
        request.Headers.TryAddWithoutValidation("b3", $"{traceId}-00f067aa0ba902b7-1");
        using var response = await client.SendAsync(request);
        var echo = await EchoResponse.ReadAsync(response);

        var traceparent = echo.Header("traceparent");
        Assert.NotNull(traceparent);
        Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-01$", traceparent);
        var clientSpanId = traceparent.Split('-')[2];
        Assert.NotEqual("00f067aa0ba902b7", clientSpanId);
        Assert.Equal($"{traceId}-{clientSpanId}-1", echo.Header("b3"));
        Assert.Equal(traceId, echo.Header("X-B3-TraceId"));
        Assert.Equal(clientSpanId, echo.Header("X-B3-SpanId"));
        Assert.Equal("1", echo.Header("X-B3-Sampled"));
    }
}
