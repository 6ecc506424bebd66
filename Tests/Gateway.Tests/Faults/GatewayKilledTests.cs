using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Infrastructure.Discovery.Client;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace Infrastructure.Gateway.Tests.Faults;

/// <summary>
/// Two real Gateway processes in front of the same upstream, and a client that knows both as instances of one service
/// (Discovery.Client's load-balanced HttpClient over <c>Spring:Cloud:Discovery:Client:Simple:Instances:gateway</c>, as a
/// Ribbon client lists its Zuul servers). One gateway is killed with SIGKILL under steady load: the requests it held die
/// with it and go again to the other (idempotent, body-less), new ones meet a refused connection and go on at once, and
/// after three refusals the client stops choosing it.
/// </summary>
public sealed class GatewayKilledTests(ITestOutputHelper output)
{
    [Fact]
    public async Task OneOfTwoGatewaysKilledUnderLoad_ZeroClientErrorsForGets()
    {
        await using var backend = await TestBackend.StartAsync("upstream");
        await using var first = await StartGatewayAsync(backend);
        await using var second = await StartGatewayAsync(backend);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Spring:Cloud:Discovery:Client:Simple:Instances:gateway:0:Uri"] = first.BaseUri.ToString(),
            ["Spring:Cloud:Discovery:Client:Simple:Instances:gateway:1:Uri"] = second.BaseUri.ToString(),
        });
        builder.AddDiscoveryClient();
        builder.Services.AddLoadBalancer();
        builder.Services.AddHttpClient("gateway", c => c.Timeout = TimeSpan.FromSeconds(30)).AddLoadBalancing();
        using var app = builder.Build();
        using var http = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("gateway");

        // A request started, when it ended (ticks since the clock started) and how it went.
        var results = new ConcurrentQueue<(long Started, long Ended, string? Error)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        async Task LoadAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var started = clock.ElapsedTicks;
                string? error = null;
                try
                {
                    using var r = await http.GetAsync(new Uri("http://gateway/api/products?page=1"));
                    var body = await r.Content.ReadAsStringAsync();
                    if (r.StatusCode != HttpStatusCode.OK || !body.Contains("\"backend\":\"upstream\"", StringComparison.Ordinal))
                    {
                        error = $"{(int)r.StatusCode} {body}";
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    error = $"{ex.GetType().Name}: {ex.Message}";
                }
                results.Enqueue((started, clock.ElapsedTicks, error));
            }
        }
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(LoadAsync)).ToArray();
        var lb = app.Services.GetRequiredService<ServiceLoadBalancer>();
        long killedAt = 0;
        long? trippedAt = null;
        try
        {
            await WaitForAsync(() => results.Count >= 200, TimeSpan.FromSeconds(60), "no steady load through both gateways");

            killedAt = clock.ElapsedTicks;
            first.Kill();
            var atKill = results.Count;
            await WaitForAsync(() =>
            {
                if (trippedAt is null && lb.Stats.All.Any(s => s.InstanceId.EndsWith(Port(first), StringComparison.Ordinal) && s.IsCircuitBreakerTripped()))
                {
                    trippedAt = clock.ElapsedTicks;
                }
                return results.Count >= atKill + 400;
            }, TimeSpan.FromSeconds(60), "the load stalled after the kill");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        var all = results.ToArray();
        var errors = all.Where(r => r.Error is not null).Select(r => r.Error!).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} of {all.Length} GETs failed: " + string.Join(" | ", errors.Distinct().Take(5)));
        Assert.True(all.Count(r => r.Started > killedAt) >= 300, "too few requests after the kill");

        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var inFlight = all.Where(r => r.Started <= killedAt && r.Ended > killedAt).ToArray();
        var beforeKill = all.Where(r => r.Ended <= killedAt).Select(r => Ms(r.Ended - r.Started)).Order().ToArray();
        var afterKill = all.Where(r => r.Started > killedAt).Select(r => Ms(r.Ended - r.Started)).ToArray();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{all.Length} GETs, 0 errors. Median before the kill {beforeKill[beforeKill.Length / 2]:0.0} ms. In flight at the kill: {inFlight.Length}, "
            + $"done {(inFlight.Length == 0 ? 0 : inFlight.Max(r => Ms(r.Ended - killedAt))):0} ms after it; slowest GET started after it {afterKill.Max():0} ms; "
            + $"the killed gateway stopped being chosen {(trippedAt is { } t ? Ms(t - killedAt).ToString("0", CultureInfo.InvariantCulture) + " ms" : "never (not tripped)")} after the kill."));
    }

    private static string Port(ServerProcess process) => ":" + process.BaseUri.Port.ToString(CultureInfo.InvariantCulture);

    private static Task<ServerProcess> StartGatewayAsync(TestBackend backend) =>
        ServerProcess.StartAsync("Gateway", args:
        [
            "--Gateway:Routes:0:Id=api", $"--Gateway:Routes:0:Uri={backend.Url}", "--Gateway:Routes:0:Predicates:0=Path=/api/**",
        ]);

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }
}
