using System.Globalization;
using Infrastructure.Discovery.Client.Tests.Fakes;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Infrastructure.Discovery.Client.Tests.Eureka;

/// <summary>The client against the real Discovery.Server process .</summary>
public sealed class RealServerTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RealServer_RegisterResolveDeregister_RoundTrip()
    {
        await using var server = await ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
        {
            // Serve fresh fetches quickly instead of Eureka's 30 s response cache.
            ["Eureka__Server__ResponseCacheUpdateIntervalMs"] = "500",
        });
        var serviceUrl = server.BaseUri + "eureka/";

        var catalogConfig = TestApps.EurekaConfig(serviceUrl, "catalog");
        catalogConfig["Eureka:Client:ShouldFetchRegistry"] = "false";
        await using var catalog = TestApps.Create(catalogConfig, map: app =>
            app.MapGet("/hello", (HttpContext ctx) => $"catalog on {ctx.Connection.LocalPort.ToString(CultureInfo.InvariantCulture)}"));
        await catalog.StartAsync().WaitAsync(Bounded);

        var callerConfig = TestApps.EurekaConfig(serviceUrl, "order");
        await using var caller = TestApps.Create(callerConfig, configure: b =>
        {
            b.Services.AddServiceDiscovery();
            b.Services.AddHttpClient("catalog", c => c.BaseAddress = new Uri("http://catalog")).AddServiceDiscovery();
        });
        await caller.StartAsync().WaitAsync(Bounded);
        var instances = caller.Services.GetRequiredService<IServiceInstanceProvider>();
        await TestApps.EventuallyAsync(() => instances.GetInstances("catalog").Count == 1, "CATALOG fetched from the real registry", Bounded);
        // The caller registered itself too.
        await TestApps.EventuallyAsync(() => instances.GetInstances("order").Count == 1, "ORDER fetched from the real registry", Bounded);

        var http = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        Assert.Equal($"catalog on {catalog.BoundPort()}", await http.GetStringAsync(new Uri("/hello", UriKind.Relative)).WaitAsync(Bounded));

        await catalog.StopAsync().WaitAsync(Bounded);
        await TestApps.EventuallyAsync(() => instances.GetInstances("catalog").Count == 0, "CATALOG gone after its graceful shutdown", Bounded);
        await caller.StopAsync();
    }
}
