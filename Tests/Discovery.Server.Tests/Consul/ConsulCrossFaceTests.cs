using System.Net;
using static Infrastructure.Discovery.Server.Tests.Consul.ConsulCalls;

namespace Infrastructure.Discovery.Server.Tests.Consul;

/// <summary>One registry, two APIs: what either registers or changes, the other serves, with status mapped both ways.</summary>
public sealed class ConsulCrossFaceTests : InProcessRegistryTest
{
    [Fact]
    public async Task RegisteredThroughConsul_ServedByEureka_AsAnInstanceOfTheUpperCaseApp()
    {
        await RegisterAsync(Http, """{"ID":"orders-1","Name":"orders","Tags":["blue"],"Address":"10.4.0.7","Port":7070,"Meta":{"zone":"z1"},"Check":{"TTL":"20s"}}""");
        await PutAsync(Http, "/v1/agent/check/pass/service:orders-1");

        using var doc = await TestInstances.GetJsonAsync(Http, "/eureka/apps/ORDERS");
        var i = doc.RootElement.GetProperty("application").GetProperty("instance")[0];
        Assert.Equal("orders-1", i.GetProperty("instanceId").GetString());
        Assert.Equal("ORDERS", i.GetProperty("app").GetString());
        Assert.Equal("10.4.0.7", i.GetProperty("ipAddr").GetString());
        Assert.Equal("10.4.0.7", i.GetProperty("hostName").GetString());
        Assert.Equal(7070, i.GetProperty("port").GetProperty("$").GetInt32());
        Assert.Equal("orders", i.GetProperty("vipAddress").GetString());
        Assert.Equal("UP", i.GetProperty("status").GetString());
        Assert.Equal("z1", i.GetProperty("metadata").GetProperty("zone").GetString());
        Assert.Equal("[\"blue\"]", i.GetProperty("metadata").GetProperty("consul-tags").GetString());

        // A Eureka client finds it by VIP, as Ribbon does.
        using var vip = await TestInstances.GetJsonAsync(Http, "/eureka/vips/orders");
        Assert.Equal(["orders-1"], TestInstances.InstanceIds(vip, "ORDERS"));

        await PutAsync(Http, "/v1/agent/check/fail/service:orders-1");
        Assert.Equal("DOWN", await EurekaStatusAsync(Http, "ORDERS", "orders-1"));
    }

    [Fact]
    public async Task RegisteredThroughEureka_ServedByConsul_PassingWhileUp()
    {
        Assert.Equal(HttpStatusCode.NoContent, (await TestInstances.RegisterAsync(Http, "billing", "host7:billing:8080", "host7", 8080)).StatusCode);

        using var doc = await GetJsonAsync(Http, "/v1/health/service/billing");
        var e = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("host7", e.GetProperty("Node").GetProperty("Node").GetString());
        Assert.Equal("127.0.0.1", e.GetProperty("Node").GetProperty("Address").GetString());
        var s = e.GetProperty("Service");
        Assert.Equal("host7:billing:8080", s.GetProperty("ID").GetString());
        Assert.Equal("billing", s.GetProperty("Service").GetString());
        Assert.Equal(8080, s.GetProperty("Port").GetInt32());
        Assert.Equal("zone1", s.GetProperty("Meta").GetProperty("zone").GetString());
        Assert.Equal(["service:host7:billing:8080=passing"], await HealthChecksAsync(Http, "billing"));

        using var catalog = await GetJsonAsync(Http, "/v1/catalog/services");
        Assert.True(catalog.RootElement.TryGetProperty("billing", out _));
        // Eureka's name is upper-case; Consul names are looked up in any case.
        Assert.Equal(["host7:billing:8080"], await PassingIdsAsync(Http, "BILLING"));
    }

    [Theory]
    [InlineData("OUT_OF_SERVICE", new[] { "service:h1:pay:80=passing", "_service_maintenance:h1:pay:80=critical" })]
    [InlineData("DOWN", new[] { "service:h1:pay:80=critical" })]
    [InlineData("STARTING", new[] { "service:h1:pay:80=critical" })]
    public async Task EurekaStatusOverride_SeenByConsul_NotPassing_AndBackWhenRemoved(string status, string[] checks)
    {
        await TestInstances.RegisterAsync(Http, "pay", "h1:pay:80", "h1", 80);
        Assert.Equal(HttpStatusCode.OK, (await Http.PutAsync($"/eureka/apps/PAY/h1:pay:80/status?value={status}", null)).StatusCode);

        Assert.Equal(checks, await HealthChecksAsync(Http, "pay"));
        Assert.Empty(await PassingIdsAsync(Http, "pay"));

        Assert.Equal(HttpStatusCode.OK, (await Http.DeleteAsync("/eureka/apps/PAY/h1:pay:80/status?value=UP")).StatusCode);
        Assert.Equal(["h1:pay:80"], await PassingIdsAsync(Http, "pay"));
    }

    [Fact]
    public async Task ConsulServiceTakenOutOfServiceThroughEureka_ShowsMaintenance_AndTakenDownShowsCritical()
    {
        await RegisterAsync(Http, """{"ID":"c-1","Name":"cart"}""");
        await Http.PutAsync("/eureka/apps/CART/c-1/status?value=OUT_OF_SERVICE", null);
        Assert.Equal(["_service_maintenance:c-1=critical"], await HealthChecksAsync(Http, "cart"));

        await Http.PutAsync("/eureka/apps/CART/c-1/status?value=DOWN", null);
        Assert.Equal(["service:c-1:eureka=critical"], await HealthChecksAsync(Http, "cart"));
        Assert.Empty(await PassingIdsAsync(Http, "cart"));
    }

    [Fact]
    public async Task CancelledThroughEureka_GoneFromConsulCatalog()
    {
        await TestInstances.RegisterAsync(Http, "temp", "t1:temp:80", "t1", 80);
        Assert.Equal(HttpStatusCode.OK, (await Http.DeleteAsync("/eureka/apps/TEMP/t1:temp:80")).StatusCode);
        using var doc = await GetJsonAsync(Http, "/v1/catalog/service/temp");
        Assert.Equal(0, doc.RootElement.GetArrayLength());
    }
}
