using Infrastructure.Discovery.Client.Eureka.Registry;
using Infrastructure.Discovery.Client.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace Infrastructure.Discovery.Client.Tests.Eureka;

public sealed class RegistryFetchTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string?> FetchOnly(FakeEurekaServer eureka)
    {
        var config = TestApps.EurekaConfig(eureka.ServiceUrl, "order");
        config["Eureka:Client:ShouldRegisterWithEureka"] = "false";
        return config;
    }

    private static string[] Ids(IServiceInstanceProvider p, string service) => p.GetInstances(service).Select(i => i.InstanceId).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Fetch_FullThenDeltas_AppliesAddedModifiedDeletedAndShowsOnlyUp()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        eureka.AddInstance("CATALOG", "a", "10.0.0.1", 8080);
        eureka.AddInstance("CATALOG", "b", "10.0.0.2", 8080, "DOWN");
        eureka.AddInstance("BILLING", "x", "10.0.0.9", 7000, "OUT_OF_SERVICE");
        await using var app = TestApps.Create(FetchOnly(eureka));
        await app.StartAsync().WaitAsync(Bounded);
        var provider = app.Services.GetRequiredService<IServiceInstanceProvider>();
        Assert.IsType<EurekaServiceInstanceProvider>(provider);

        await TestApps.EventuallyAsync(() => Ids(provider, "catalog") is ["a"], "the full fetch (only UP a)");
        var a = provider.GetInstances("CATALOG")[0];
        Assert.Equal(new Uri("http://10.0.0.1:8080/"), a.Uri);
        Assert.Equal("z1", a.Zone);
        Assert.Empty(provider.GetInstances("billing"));
        Assert.Contains("billing", provider.GetServices());

        var changed = 0;
        provider.Changed += (_, _) => Interlocked.Increment(ref changed);
        eureka.AddInstance("CATALOG", "c", "10.0.0.3", 8080);
        eureka.SetStatus("CATALOG", "b", "UP");
        eureka.Remove("CATALOG", "a");
        await TestApps.EventuallyAsync(() => Ids(provider, "catalog") is ["b", "c"], "the delta (b UP, c added, a deleted)");
        Assert.True(Volatile.Read(ref changed) > 0);

        // Deltas reconciled by hash code: no second full fetch was needed.
        await TestApps.EventuallyAsync(() => eureka.Find("GET", "/eureka/apps/delta").Count >= 3, "more delta fetches");
        Assert.Single(eureka.Find("GET", "/eureka/apps"), r => r.Path is "/eureka/apps" or "/eureka/apps/");
        await app.StopAsync();
    }

    [Fact]
    public async Task Fetch_DeltaHashCodeMismatch_FetchesFullRegistry()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        eureka.AddInstance("CATALOG", "a", "10.0.0.1", 8080);
        await using var app = TestApps.Create(FetchOnly(eureka));
        await app.StartAsync().WaitAsync(Bounded);
        var provider = app.Services.GetRequiredService<IServiceInstanceProvider>();
        await TestApps.EventuallyAsync(() => provider.GetInstances("catalog").Count == 1, "the full fetch");
        static int FullFetches(FakeEurekaServer e) => e.Find("GET", "/eureka/apps").Count(r => r.Path is "/eureka/apps" or "/eureka/apps/");
        Assert.Equal(1, FullFetches(eureka));

        eureka.LieAboutNextDeltaHashCode("UP_42_");
        await TestApps.EventuallyAsync(() => FullFetches(eureka) == 2, "a full fetch after the hash mismatch");
        Assert.Equal(["a"], Ids(provider, "catalog"));
        await app.StopAsync();
    }

    [Fact]
    public async Task Fetch_SingleInstanceAsObject_Parsed()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        eureka.SingleItemsAsObjects = true;
        eureka.AddInstance("CATALOG", "solo", "10.0.0.7", 8081);
        await using var app = TestApps.Create(FetchOnly(eureka));
        await app.StartAsync().WaitAsync(Bounded);
        var provider = app.Services.GetRequiredService<IServiceInstanceProvider>();
        await TestApps.EventuallyAsync(() => Ids(provider, "catalog") is ["solo"], "the single instance");
        await app.StopAsync();
    }

    [Fact]
    public async Task Fetch_RegistryDownThenUp_KeepsRetryingUntilFetched()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        eureka.AddInstance("CATALOG", "a", "10.0.0.1", 8080);
        eureka.Unavailable = true;
        await using var app = TestApps.Create(FetchOnly(eureka));
        await app.StartAsync().WaitAsync(Bounded);
        var provider = app.Services.GetRequiredService<IServiceInstanceProvider>();
        await TestApps.EventuallyAsync(() => eureka.Find("GET", "/eureka/apps").Count >= 2, "failed fetch attempts");
        Assert.Empty(provider.GetInstances("catalog"));

        eureka.Unavailable = false;
        await TestApps.EventuallyAsync(() => provider.GetInstances("catalog").Count == 1, "the registry after recovery");
        await app.StopAsync();
    }

    [Fact]
    public async Task Fetch_DeltaForbidden_FallsBackToFullFetch()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        eureka.AddInstance("CATALOG", "a", "10.0.0.1", 8080);
        await using var app = TestApps.Create(FetchOnly(eureka));
        await app.StartAsync().WaitAsync(Bounded);
        var provider = app.Services.GetRequiredService<IServiceInstanceProvider>();
        await TestApps.EventuallyAsync(() => Ids(provider, "catalog") is ["a"], "the first full fetch");

        eureka.DeltaDisabled = true;
        eureka.AddInstance("CATALOG", "b", "10.0.0.2", 8080);
        await TestApps.EventuallyAsync(() => Ids(provider, "catalog") is ["a", "b"], "b through a full fetch");
        Assert.NotEmpty(eureka.Find("GET", "/eureka/apps/delta"));
        await app.StopAsync();
    }
}
