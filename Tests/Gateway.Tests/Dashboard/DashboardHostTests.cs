using System.Net;
using System.Text;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;
using Microsoft.Extensions.Options;

namespace Infrastructure.Gateway.Tests.Dashboard;

/// <summary>The dashboard's endpoints in hosts of their own: outside Development, stopping, misconfigured, disabled.</summary>
public sealed class DashboardHostTests
{
    [Fact]
    public async Task Chaos_OutsideDevelopmentWithoutToken_401AndStreamStillOpen()
    {
        await using var host = new GatewayHost(new Dictionary<string, string?>
        {
            ["Spring:Cloud:Discovery:Client:Simple:Instances:svc:0:Uri"] = "http://127.0.0.1:9",
        }, environment: "Production");
        using var client = host.NewClient();
        using var content = new StringContent("""{"down":true}""", Encoding.UTF8, "application/json");

        using var chaos = await client.PostAsync("/dashboard/api/chaos/svc/127.0.0.1:svc:9", content);
        Assert.Equal(HttpStatusCode.Unauthorized, chaos.StatusCode);

        using var sse = await SseClient.OpenAsync(client);
        Assert.Equal(HttpStatusCode.OK, sse.Response.StatusCode);
        await sse.WaitForAsync(e => (string?)e["type"] == "Registry", TimeSpan.FromSeconds(30), "type Registry");
    }

    [Fact]
    public async Task Stream_GatewayStops_ResponseEnds()
    {
        var host = new GatewayHost(new Dictionary<string, string?> { ["Gateway:Dashboard:StreamIntervalMilliseconds"] = "200" });
        using var client = host.NewClient();
        using var sse = await SseClient.OpenAsync(client);
        await sse.WaitForAsync(e => (string?)e["type"] == "Registry", TimeSpan.FromSeconds(30), "type Registry");

        var stopping = host.DisposeAsync().AsTask();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ended = false;
        try
        {
            while (await sse.NextAsync(cts.Token) is not null)
            {
            }
            ended = true;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            ended = true;
        }
        Assert.True(ended);
        Assert.False(cts.IsCancellationRequested, "the stream did not end when the gateway stopped");
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Start_WindowNotAMultipleOfBuckets_FailsNamingTheKey()
    {
        var ex = FailedStart.Of(() => new GatewayHost(new Dictionary<string, string?>
        {
            ["Gateway:Dashboard:RollingStatsTimeInMilliseconds"] = "10000",
            ["Gateway:Dashboard:RollingStatsNumBuckets"] = "7",
        }), host => host.NewClient());
        var validation = Assert.IsType<OptionsValidationException>(ex.GetBaseException());
        Assert.Contains("RollingStatsNumBuckets", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabled_NoStreamNoPage()
    {
        await using var host = new GatewayHost(new Dictionary<string, string?> { ["Gateway:Dashboard:Enabled"] = "false" });
        using var client = host.NewClient();
        using var stream = await client.GetAsync("/actuator/hystrix.stream");
        using var page = await client.GetAsync("/dashboard");
        // Unclaimed paths fall through to the proxy, which has no route for them.
        Assert.Equal(HttpStatusCode.NotFound, stream.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
    }
}
