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

        DownstreamTrace.AssertCarried(echo, traceId, "00f067aa0ba902b7", sampled: true);
    }
}
