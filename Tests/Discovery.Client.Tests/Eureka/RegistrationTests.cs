using System.Diagnostics;
using System.Text.Json;
using Infrastructure.Discovery.Client.Tests.Fakes;
using Infrastructure.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Infrastructure.Discovery.Client.Tests.Eureka;

public sealed class RegistrationTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Start_EurekaConfigured_RegistersEurekaJsonWithBoundPort()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        var config = TestApps.EurekaConfig(eureka.ServiceUrl);
        config["Eureka:Instance:MetadataMap:zone"] = "zone-a";
        config["Eureka:Instance:MetadataMap:version"] = "1.2";
        await using var app = TestApps.Create(config);
        await app.StartAsync().WaitAsync(Bounded);
        var port = app.BoundPort();

        await TestApps.EventuallyAsync(() => eureka.Find("POST", "/eureka/apps/CATALOG").Count > 0, "a registration");
        var post = eureka.Find("POST", "/eureka/apps/CATALOG")[0];
        Assert.StartsWith("application/json", post.ContentType, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(post.Body);
        var i = doc.RootElement.GetProperty("instance");
        // Bound to loopback only: the announced host is the loopback address, not the unreachable machine name.
        Assert.Equal($"127.0.0.1:catalog:{port}", i.GetProperty("instanceId").GetString());
        Assert.Equal("CATALOG", i.GetProperty("app").GetString());
        Assert.Equal("127.0.0.1", i.GetProperty("hostName").GetString());
        Assert.Equal("127.0.0.1", i.GetProperty("ipAddr").GetString());
        Assert.Equal("UP", i.GetProperty("status").GetString());
        Assert.Equal(port, i.GetProperty("port").GetProperty("$").GetInt32());
        Assert.Equal("true", i.GetProperty("port").GetProperty("@enabled").GetString());
        Assert.Equal("false", i.GetProperty("securePort").GetProperty("@enabled").GetString());
        Assert.Equal("MyOwn", i.GetProperty("dataCenterInfo").GetProperty("name").GetString());
        Assert.Equal(1, i.GetProperty("leaseInfo").GetProperty("renewalIntervalInSecs").GetInt32());
        Assert.Equal(3, i.GetProperty("leaseInfo").GetProperty("durationInSecs").GetInt32());
        Assert.Equal($"http://127.0.0.1:{port}/actuator/health", i.GetProperty("healthCheckUrl").GetString());
        Assert.Equal($"http://127.0.0.1:{port}/actuator/info", i.GetProperty("statusPageUrl").GetString());
        Assert.Equal($"http://127.0.0.1:{port}/", i.GetProperty("homePageUrl").GetString());
        Assert.Equal("catalog", i.GetProperty("vipAddress").GetString());
        Assert.Equal("zone-a", i.GetProperty("metadata").GetProperty("zone").GetString());
        Assert.Equal("1.2", i.GetProperty("metadata").GetProperty("version").GetString());
        Assert.True(eureka.Contains("CATALOG", $"127.0.0.1:catalog:{port}"));
        await app.StopAsync();
    }

    [Fact]
    public async Task Renew_EveryLeaseRenewalInterval_PutsWithStatusAndDirtyTimestamp()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        await using var app = TestApps.Create(TestApps.EurekaConfig(eureka.ServiceUrl));
        await app.StartAsync().WaitAsync(Bounded);
        var id = $"127.0.0.1:catalog:{app.BoundPort()}";
        await TestApps.EventuallyAsync(() => eureka.Find("POST", "/eureka/apps/CATALOG").Count > 0, "a registration");
        var registeredAt = eureka.Find("POST", "/eureka/apps/CATALOG")[0].At;

        await TestApps.EventuallyAsync(() => eureka.Find("PUT", "/eureka/apps/CATALOG/").Count >= 3, "three renewals");
        var observed = Stopwatch.GetElapsedTime(0) - registeredAt;
        var renews = eureka.Find("PUT", "/eureka/apps/CATALOG/");
        Assert.All(renews, r =>
        {
            Assert.Equal($"/eureka/apps/CATALOG/{id}", r.Path);
            Assert.Contains("status=UP", r.Query, StringComparison.Ordinal);
            Assert.Contains("lastDirtyTimestamp=", r.Query, StringComparison.Ordinal);
        });
        // Paced by the 1 s interval, not a tight loop: never more renewals than elapsed seconds (plus slack).
        Assert.True(renews.Count <= observed.TotalSeconds + 2, $"{renews.Count} renewals in {observed.TotalSeconds:0.0} s");
        // Renewals found the instance: no second registration was needed.
        Assert.Single(eureka.Find("POST", "/eureka/apps/CATALOG"));
        await app.StopAsync();
    }

    [Fact]
    public async Task Renew_ServerForgotInstance_RegistersAgain()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        await using var app = TestApps.Create(TestApps.EurekaConfig(eureka.ServiceUrl));
        await app.StartAsync().WaitAsync(Bounded);
        var id = $"127.0.0.1:catalog:{app.BoundPort()}";
        await TestApps.EventuallyAsync(() => eureka.Contains("CATALOG", id), "a registration");

        eureka.Clear(); // as a restarted registry: the next renew answers 404
        await TestApps.EventuallyAsync(() => eureka.Contains("CATALOG", id), "the registration to come back after a 404 renew");
        Assert.Equal(2, eureka.Find("POST", "/eureka/apps/CATALOG").Count);
        await app.StopAsync();
    }

    [Fact]
    public async Task StopAsync_Registered_DeletesInstance()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        await using var app = TestApps.Create(TestApps.EurekaConfig(eureka.ServiceUrl));
        await app.StartAsync().WaitAsync(Bounded);
        var id = $"127.0.0.1:catalog:{app.BoundPort()}";
        await TestApps.EventuallyAsync(() => eureka.Contains("CATALOG", id), "a registration");

        await app.StopAsync().WaitAsync(Bounded);
        Assert.Single(eureka.Find("DELETE", $"/eureka/apps/CATALOG/{id}"));
        Assert.False(eureka.Contains("CATALOG", id));
    }

    [Fact]
    public async Task Start_RegistryDown_AppStartsAndRegistersOnceServerIsUp()
    {
        var port = FreePort.Next();
        await using var app = TestApps.Create(TestApps.EurekaConfig($"http://127.0.0.1:{port}/eureka/"));
        // Nothing listens on the registry port: the host must still start promptly.
        await app.StartAsync().WaitAsync(Bounded);
        var id = $"127.0.0.1:catalog:{app.BoundPort()}";
        await Task.Delay(1500); // a few failed attempts

        await using var eureka = await FakeEurekaServer.StartAsync(port);
        await TestApps.EventuallyAsync(() => eureka.Contains("CATALOG", id), "a registration once the registry is up");
        await app.StopAsync();
    }

    [Fact]
    public async Task Register_RegistryAnswers503ThenRecovers_Retries()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        eureka.Unavailable = true;
        await using var app = TestApps.Create(TestApps.EurekaConfig(eureka.ServiceUrl));
        await app.StartAsync().WaitAsync(Bounded);
        await TestApps.EventuallyAsync(() => eureka.Find("POST", "/eureka/apps/CATALOG").Count >= 2, "repeated registration attempts");

        eureka.Unavailable = false;
        await TestApps.EventuallyAsync(() => eureka.Contains("CATALOG", $"127.0.0.1:catalog:{app.BoundPort()}"), "a registration after recovery");
        await app.StopAsync();
    }

    [Fact]
    public async Task Register_FirstServerDown_FailsOverToNext()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        var dead = $"http://127.0.0.1:{FreePort.Next()}/eureka/";
        await using var app = TestApps.Create(TestApps.EurekaConfig($"{dead}, {eureka.ServiceUrl}"));
        await app.StartAsync().WaitAsync(Bounded);
        await TestApps.EventuallyAsync(() => eureka.Contains("CATALOG", $"127.0.0.1:catalog:{app.BoundPort()}"), "a registration on the second server");
        // Sticks to the server that answered: renewals go there too.
        await TestApps.EventuallyAsync(() => eureka.Find("PUT", "/eureka/apps/CATALOG/").Count >= 1, "a renewal on the second server");
        await app.StopAsync();
    }

    [Fact]
    public async Task Start_SpringDefaultZoneKey_RegistersWithExplicitInstanceSettings()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        var config = TestApps.EurekaConfig(eureka.ServiceUrl);
        config.Remove("Eureka:Client:ServiceUrl");
        config["Eureka:Client:ServiceUrl:DefaultZone"] = eureka.ServiceUrl;
        config["Eureka:Instance:InstanceId"] = "my-id";
        config["Eureka:Instance:HostName"] = "catalog.internal";
        config["Eureka:Instance:Port"] = "9090";
        await using var app = TestApps.Create(config);
        await app.StartAsync().WaitAsync(Bounded);

        await TestApps.EventuallyAsync(() => eureka.Contains("CATALOG", "my-id"), "a registration under the configured id");
        using var doc = JsonDocument.Parse(eureka.Find("POST", "/eureka/apps/CATALOG")[0].Body);
        var i = doc.RootElement.GetProperty("instance");
        Assert.Equal("catalog.internal", i.GetProperty("hostName").GetString());
        Assert.Equal(9090, i.GetProperty("port").GetProperty("$").GetInt32());
        Assert.Equal("http://catalog.internal:9090/actuator/health", i.GetProperty("healthCheckUrl").GetString());
        await app.StopAsync();
    }

    [Fact]
    public async Task HealthCheck_RegistryDownThenUp_DegradedThenHealthy()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        eureka.Unavailable = true;
        await using var app = TestApps.Create(TestApps.EurekaConfig(eureka.ServiceUrl), configure: b => b.Services.AddHealthChecks());
        await app.StartAsync().WaitAsync(Bounded);
        var health = app.Services.GetRequiredService<HealthCheckService>();
        var report = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, report.Entries["eureka"].Status);

        eureka.Unavailable = false;
        await TestApps.EventuallyAsync(() => health.CheckHealthAsync().GetAwaiter().GetResult().Entries["eureka"].Status == HealthStatus.Healthy, "a healthy Eureka component");
        Assert.Equal(true, (await health.CheckHealthAsync()).Entries["eureka"].Data["registered"]);
        await app.StopAsync();
    }

    [Fact]
    public async Task Start_EurekaClientDisabled_NeitherRegistersNorFetches()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        var config = TestApps.EurekaConfig(eureka.ServiceUrl);
        config["Eureka:Client:Enabled"] = "false";
        await using var app = TestApps.Create(config);
        await app.StartAsync().WaitAsync(Bounded);
        await Task.Delay(1500);
        Assert.Empty(eureka.Requests);
        Assert.IsNotType<Infrastructure.Discovery.Client.Eureka.Registry.EurekaServiceInstanceProvider>(app.Services.GetRequiredService<IServiceInstanceProvider>());
        await app.StopAsync();
    }
}
