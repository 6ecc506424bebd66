using System.Globalization;
using Infrastructure.Discovery.Client.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Client.Tests.ServiceDiscovery;

public sealed class ServiceDiscoveryTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HttpClient_AddServiceDiscovery_ResolvesServiceNameToRegisteredInstance()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();

        // The target: registers itself as CATALOG on a dynamic port.
        var catalogConfig = TestApps.EurekaConfig(eureka.ServiceUrl, "catalog");
        catalogConfig["Eureka:Client:ShouldFetchRegistry"] = "false";
        await using var catalog = TestApps.Create(catalogConfig, map: app =>
            app.MapGet("/hello", (HttpContext ctx) => $"catalog on {ctx.Connection.LocalPort.ToString(CultureInfo.InvariantCulture)}"));
        await catalog.StartAsync().WaitAsync(Bounded);

        // The caller: only fetches, and calls http://catalog through an HttpClient with service discovery.
        var callerConfig = TestApps.EurekaConfig(eureka.ServiceUrl, "order");
        callerConfig["Eureka:Client:ShouldRegisterWithEureka"] = "false";
        await using var caller = TestApps.Create(callerConfig, configure: b =>
        {
            b.Services.AddServiceDiscovery();
            b.Services.AddHttpClient("catalog", c => c.BaseAddress = new Uri("http://catalog")).AddServiceDiscovery();
        });
        await caller.StartAsync().WaitAsync(Bounded);
        var instances = caller.Services.GetRequiredService<IServiceInstanceProvider>();
        await TestApps.EventuallyAsync(() => instances.GetInstances("catalog").Count == 1, "CATALOG in the caller's registry copy");

        var http = caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var text = await http.GetStringAsync(new Uri("/hello", UriKind.Relative)).WaitAsync(Bounded);
        Assert.Equal($"catalog on {catalog.BoundPort()}", text);

        await catalog.StopAsync();
        await caller.StopAsync();
    }

    [Fact]
    public async Task EndpointResolver_InstanceGoesDown_EndpointsFollowRegistry()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        eureka.AddInstance("CATALOG", "a", "10.0.0.1", 8080);
        eureka.AddInstance("CATALOG", "b", "10.0.0.2", 8080);
        var config = TestApps.EurekaConfig(eureka.ServiceUrl, "order");
        config["Eureka:Client:ShouldRegisterWithEureka"] = "false";
        await using var app = TestApps.Create(config, configure: b => b.Services.AddServiceDiscovery());
        await app.StartAsync().WaitAsync(Bounded);
        var instances = app.Services.GetRequiredService<IServiceInstanceProvider>();
        await TestApps.EventuallyAsync(() => instances.GetInstances("catalog").Count == 2, "both instances");

        var resolver = app.Services.GetRequiredService<Microsoft.Extensions.ServiceDiscovery.ServiceEndpointResolver>();
        var endpoints = await resolver.GetEndpointsAsync("http://catalog", CancellationToken.None).AsTask().WaitAsync(Bounded);
        Assert.Equal(["http://10.0.0.1:8080/", "http://10.0.0.2:8080/"], endpoints.Endpoints.Select(e => e.EndPoint.ToString()).Order(StringComparer.Ordinal));

        eureka.SetStatus("CATALOG", "a", "DOWN");
        var deadline = DateTime.UtcNow + Bounded;
        while (true)
        {
            endpoints = await resolver.GetEndpointsAsync("http://catalog", CancellationToken.None).AsTask().WaitAsync(Bounded);
            if (endpoints.Endpoints.Count == 1 || DateTime.UtcNow > deadline)
            {
                break;
            }
            await Task.Delay(100);
        }
        Assert.Equal("http://10.0.0.2:8080/", Assert.Single(endpoints.Endpoints).EndPoint.ToString());
        await app.StopAsync();
    }

    [Fact]
    public async Task Start_InvalidServiceUrl_FailsValidation()
    {
        var config = TestApps.EurekaConfig("http://127.0.0.1:1/eureka/, not-a-url");
        await using var app = TestApps.Create(config);
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync().WaitAsync(Bounded));
        Assert.Contains("not-a-url", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_LeaseShorterThanRenewal_FailsValidation()
    {
        var config = TestApps.EurekaConfig("http://127.0.0.1:1/eureka/");
        config["Eureka:Instance:LeaseExpirationDurationInSeconds"] = "1";
        await using var app = TestApps.Create(config);
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync().WaitAsync(Bounded));
        Assert.Contains("LeaseExpirationDurationInSeconds", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddDiscoveryClient_NoEureka_UsesConfiguredInstancesForServiceDiscovery()
    {
        await using var app = TestApps.Create(new Dictionary<string, string?>
        {
            ["Spring:Cloud:Discovery:Client:Simple:Instances:catalog:0:Uri"] = "http://10.1.1.1:5000",
        }, configure: b => b.Services.AddServiceDiscovery());
        await app.StartAsync().WaitAsync(Bounded);
        var resolver = app.Services.GetRequiredService<Microsoft.Extensions.ServiceDiscovery.ServiceEndpointResolver>();
        var endpoints = await resolver.GetEndpointsAsync("http://catalog", CancellationToken.None).AsTask().WaitAsync(Bounded);
        Assert.Equal("http://10.1.1.1:5000/", Assert.Single(endpoints.Endpoints).EndPoint.ToString());
        await app.StopAsync();
    }
}
