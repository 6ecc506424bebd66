using System.Net;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Client.Tests.LoadBalancing;

public sealed class ServiceLoadBalancerTests
{
    private sealed class FixedProvider(params ServiceInstance[] instances) : IServiceInstanceProvider
    {
        public IReadOnlyList<ServiceInstance> GetInstances(string serviceId) => instances.Where(i => i.ServiceId == serviceId).ToList();

        public IReadOnlyCollection<string> GetServices() => instances.Select(i => i.ServiceId).Distinct().ToList();

        public event EventHandler? Changed { add { } remove { } }
    }

    private static ServiceInstance Instance(string service, int port) =>
        new(service, $"127.0.0.1:{service}:{port}", "127.0.0.1", port, false, new Dictionary<string, string>());

    [Fact]
    public void Choose_ExcludedInstance_NeverReturned()
    {
        var lb = new ServiceLoadBalancer(new FixedProvider(Instance("a", 1), Instance("a", 2)), new LoadBalancerStats(Options.Create(new LoadBalancerOptions())), Options.Create(new LoadBalancerOptions()));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(2, lb.Choose("a", excludedInstanceIds: ["127.0.0.1:a:1"])!.Port);
        }
        Assert.Null(lb.Choose("a", excludedInstanceIds: ["127.0.0.1:a:1", "127.0.0.1:a:2"]));
        Assert.Null(lb.Choose("unknown"));
    }

    [Fact]
    public void GetRule_PerServiceOverride_UsesConfiguredRule()
    {
        var o = new LoadBalancerOptions { Rule = LoadBalancerRules.Random };
        o.Clients["b"] = new ClientLoadBalancerOptions { Rule = LoadBalancerRules.BestAvailable };
        var lb = new ServiceLoadBalancer(new FixedProvider(), new LoadBalancerStats(Options.Create(o)), Options.Create(o));
        Assert.Equal(LoadBalancerRules.Random, lb.GetRule("a").Name);
        Assert.Equal(LoadBalancerRules.BestAvailable, lb.GetRule("b").Name);
        Assert.Equal(LoadBalancerRules.ZoneAvoidance, lb.GetRule("b", LoadBalancerRules.ZoneAvoidance).Name);
        Assert.Same(lb.GetRule("a"), lb.GetRule("a"));
    }

    [Fact]
    public async Task HttpClient_ServiceName_RoundRobinsAndRetriesNextInstanceWhenOneIsDown()
    {
        await using var b1 = await StartBackendAsync("one");
        await using var b2 = await StartBackendAsync("two");
        var deadPort = FreePort.Next();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        // A test double rather than the configuration provider, so these tests only depend on the IServiceInstanceProvider contract.
        services.AddSingleton<IServiceInstanceProvider>(new FixedProvider(
            Instance("catalog", new Uri(b1.Urls.First()).Port),
            Instance("catalog", new Uri(b2.Urls.First()).Port),
            Instance("flaky", deadPort),
            Instance("flaky", new Uri(b1.Urls.First()).Port)));
        services.AddLoadBalancer();
        services.AddHttpClient("lb").AddLoadBalancing();
        await using var sp = services.BuildServiceProvider();
        using var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient("lb");
        http.Timeout = TimeSpan.FromSeconds(20);

        var answers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await http.GetStringAsync(new Uri("http://catalog/who")));
        }
        Assert.Equal(2, answers.Count(a => a == "one"));
        Assert.Equal(2, answers.Count(a => a == "two"));

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("one", await http.GetStringAsync(new Uri("http://flaky/who")));
        }
        using var post = await http.PostAsync(new Uri("http://catalog/who"), null);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
    }

    [Fact]
    public async Task HttpClient_ResetOrGarbageBeforeResponse_GetGoesToTheNextInstance_PostIsNotReplayed()
    {
        await using var good = await StartBackendAsync("good");
        await using var reset = MisbehavingUpstream.ResetBeforeResponse();
        await using var garbage = MisbehavingUpstream.Answer("HELLO\r\n\r\n");
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["LoadBalancer:MaxAutoRetriesNextServer"] = "2" }).Build());
        services.AddSingleton<IServiceInstanceProvider>(new FixedProvider(
            Instance("catalog", reset.Port), Instance("catalog", garbage.Port), Instance("catalog", new Uri(good.Urls.First()).Port),
            Instance("orders", reset.Port)));
        services.AddLoadBalancer();
        services.AddHttpClient("lb").AddLoadBalancing();
        await using var sp = services.BuildServiceProvider();
        using var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient("lb");
        http.Timeout = TimeSpan.FromSeconds(20);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("good", await http.GetStringAsync(new Uri("http://catalog/who")));
        }
        Assert.True(reset.Requests >= 1 && garbage.Requests >= 1, $"reset {reset.Requests}, garbage {garbage.Requests}");

        // The POST may have been processed before the connection went: sent once, the failure surfaces.
        var before = reset.Requests;
        await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(new Uri("http://orders/who"), new StringContent("{}")));
        Assert.Equal(before + 1, reset.Requests);
    }

    private static async Task<WebApplication> StartBackendAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{FreePort.Next()}");
        var app = builder.Build();
        app.Map("/who", () => Results.Text(name));
        await app.StartAsync();
        return app;
    }
}
