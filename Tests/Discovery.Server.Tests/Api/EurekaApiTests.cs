using System.Net;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Api;

public sealed class EurekaApiTests : InProcessRegistryTest
{
    [Fact]
    public async Task GetApps_EmptyRegistry_HasEmptyApplicationArray()
    {
        using var doc = await GetJsonAsync(Http, "/eureka/apps");
        var apps = doc.RootElement.GetProperty("applications");
        Assert.Equal("1", apps.GetProperty("versions__delta").GetString());
        Assert.Equal(string.Empty, apps.GetProperty("apps__hashcode").GetString());
        Assert.Equal(JsonValueKind.Array, apps.GetProperty("application").ValueKind);
        Assert.Equal(0, apps.GetProperty("application").GetArrayLength());
    }

    [Theory]
    [InlineData("/eureka")]
    [InlineData("/eureka/v2")]
    public async Task Register_Json_204AndServedInEurekaShape(string prefix)
    {
        var response = await RegisterAsync(Http, "catalog", "host1:catalog:8080", prefix: prefix);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        using var doc = await GetJsonAsync(Http, prefix + "/apps");
        var apps = doc.RootElement.GetProperty("applications");
        Assert.Equal("UP_1_", apps.GetProperty("apps__hashcode").GetString());
        var app = Assert.Single(apps.GetProperty("application").EnumerateArray());
        Assert.Equal("CATALOG", app.GetProperty("name").GetString());
        var i = Assert.Single(app.GetProperty("instance").EnumerateArray());
        Assert.Equal("host1:catalog:8080", i.GetProperty("instanceId").GetString());
        Assert.Equal("CATALOG", i.GetProperty("app").GetString());
        Assert.Equal("UP", i.GetProperty("status").GetString());
        Assert.Equal("UNKNOWN", i.GetProperty("overriddenStatus").GetString());
        Assert.Equal(8080, i.GetProperty("port").GetProperty("$").GetInt32());
        Assert.Equal("true", i.GetProperty("port").GetProperty("@enabled").GetString());
        Assert.Equal("false", i.GetProperty("securePort").GetProperty("@enabled").GetString());
        Assert.Equal("com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", i.GetProperty("dataCenterInfo").GetProperty("@class").GetString());
        Assert.Equal("MyOwn", i.GetProperty("dataCenterInfo").GetProperty("name").GetString());
        var lease = i.GetProperty("leaseInfo");
        Assert.Equal(30, lease.GetProperty("renewalIntervalInSecs").GetInt32());
        Assert.Equal(90, lease.GetProperty("durationInSecs").GetInt32());
        Assert.Equal(Factory.Time.GetUtcNow().ToUnixTimeMilliseconds(), lease.GetProperty("registrationTimestamp").GetInt64());
        Assert.Equal(0, lease.GetProperty("evictionTimestamp").GetInt64());
        Assert.Equal("zone1", i.GetProperty("metadata").GetProperty("zone").GetString());
        Assert.Equal("false", i.GetProperty("isCoordinatingDiscoveryServer").GetString());
        Assert.Equal(JsonValueKind.String, i.GetProperty("lastUpdatedTimestamp").ValueKind);
        Assert.Equal(JsonValueKind.String, i.GetProperty("lastDirtyTimestamp").ValueKind);
        Assert.Equal("ADDED", i.GetProperty("actionType").GetString());
        Assert.Equal("http://host1:8080/actuator/health", i.GetProperty("healthCheckUrl").GetString());
    }

    [Fact]
    public async Task GetApps_NoAcceptHeader_ServesEurekaXml()
    {
        await RegisterAsync(Http, "catalog", "host1:catalog:8080");
        var response = await Http.GetAsync("/eureka/apps");
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        var root = XElement.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("applications", root.Name.LocalName);
        Assert.Equal("UP_1_", root.Element("apps__hashcode")?.Value);
        var instance = root.Element("application")!.Element("instance")!;
        Assert.Equal("CATALOG", root.Element("application")!.Element("name")!.Value);
        Assert.Equal("8080", instance.Element("port")!.Value);
        Assert.Equal("true", instance.Element("port")!.Attribute("enabled")!.Value);
        Assert.Equal("com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", instance.Element("dataCenterInfo")!.Attribute("class")!.Value);
        Assert.Equal("UNKNOWN", instance.Element("overriddenstatus")!.Value);
        Assert.Equal("zone1", instance.Element("metadata")!.Element("zone")!.Value);
        Assert.Equal("90", instance.Element("leaseInfo")!.Element("durationInSecs")!.Value);
    }

    [Fact]
    public async Task Register_XmlBody_204()
    {
        const string xml = """
            <instance>
              <instanceId>h2:billing:9090</instanceId><hostName>h2</hostName><app>BILLING</app><ipAddr>10.0.0.2</ipAddr>
              <status>UP</status><port enabled="true">9090</port><securePort enabled="false">443</securePort>
              <dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo>
              <leaseInfo><renewalIntervalInSecs>10</renewalIntervalInSecs><durationInSecs>30</durationInSecs></leaseInfo>
              <metadata><version>1.2</version></metadata><vipAddress>billing</vipAddress>
            </instance>
            """;
        using var content = new StringContent(xml, Encoding.UTF8, "application/xml");
        var response = await Http.PostAsync("/eureka/apps/BILLING", content);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        using var doc = await GetJsonAsync(Http, "/eureka/apps/billing/h2:billing:9090");
        var i = doc.RootElement.GetProperty("instance");
        Assert.Equal(9090, i.GetProperty("port").GetProperty("$").GetInt32());
        Assert.Equal(10, i.GetProperty("leaseInfo").GetProperty("renewalIntervalInSecs").GetInt32());
        Assert.Equal("1.2", i.GetProperty("metadata").GetProperty("version").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Register_PortEnabledStringOrBool_Accepted(object enabled)
    {
        using var content = Content(JsonBody("ports", "p1", portEnabled: enabled));
        Assert.Equal(HttpStatusCode.NoContent, (await Http.PostAsync("/eureka/apps/ports", content)).StatusCode);
        using var doc = await GetJsonAsync(Http, "/eureka/apps/PORTS/p1");
        Assert.Equal(enabled.ToString()!.ToLowerInvariant(), doc.RootElement.GetProperty("instance").GetProperty("port").GetProperty("@enabled").GetString());
    }

    [Fact]
    public async Task Register_JsonWithUtf8Bom_Accepted()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(JsonBody("bom", "b1").ToJsonString())).ToArray();
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        Assert.Equal(HttpStatusCode.NoContent, (await Http.PostAsync("/eureka/apps/bom", content)).StatusCode);
    }

    [Fact]
    public async Task Register_NoInstanceId_DefaultsToHostName()
    {
        using var content = Content(JsonBody("noid", instanceId: null, hostName: "lonely-host"));
        Assert.Equal(HttpStatusCode.NoContent, (await Http.PostAsync("/eureka/apps/noid", content)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/eureka/apps/NOID/lonely-host")).StatusCode);
    }

    [Fact]
    public async Task RenewAndCancel_RawColonIds_StatusCodesAsEureka()
    {
        const string id = "host1:catalog:8080";
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PutAsync($"/eureka/apps/CATALOG/{id}", null)).StatusCode);
        await RegisterAsync(Http, "catalog", id);
        Assert.Equal(HttpStatusCode.OK, (await Http.PutAsync($"/eureka/apps/catalog/{id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.PutAsync($"/eureka/apps/CATALOG/{Uri.EscapeDataString(id)}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.DeleteAsync($"/eureka/apps/CATALOG/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.DeleteAsync($"/eureka/apps/CATALOG/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/eureka/apps/CATALOG")).StatusCode);
    }

    [Fact]
    public async Task Renew_NewerLastDirtyTimestampFromClient_404()
    {
        await RegisterAsync(Http, "catalog", "c1");
        var newer = Factory.Time.GetUtcNow().ToUnixTimeMilliseconds() + 60_000;
        var response = await Http.PutAsync($"/eureka/apps/CATALOG/c1?status=UP&lastDirtyTimestamp={newer}", null);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GetInstanceEndpoints_FindByAppAndById()
    {
        await RegisterAsync(Http, "catalog", "host1:catalog:8080");
        using var byApp = await GetJsonAsync(Http, "/eureka/apps/CATALOG/host1:catalog:8080");
        using var byId = await GetJsonAsync(Http, "/eureka/instances/host1:catalog:8080");
        using var app = await GetJsonAsync(Http, "/eureka/v2/apps/catalog");

        Assert.Equal("CATALOG", byApp.RootElement.GetProperty("instance").GetProperty("app").GetString());
        Assert.Equal("host1", byId.RootElement.GetProperty("instance").GetProperty("hostName").GetString());
        Assert.Equal("CATALOG", app.RootElement.GetProperty("application").GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/eureka/instances/nope")).StatusCode);
    }

    [Fact]
    public async Task Delta_AfterRegisterAndCancel_ListsBothActionsNotAnAppNamedDelta()
    {
        await RegisterAsync(Http, "keep", "k1");
        await RegisterAsync(Http, "gone", "g1");
        await Http.DeleteAsync("/eureka/apps/GONE/g1");

        using var doc = await GetJsonAsync(Http, "/eureka/apps/delta");
        var apps = doc.RootElement.GetProperty("applications");
        Assert.Equal("UP_1_", apps.GetProperty("apps__hashcode").GetString());
        var actions = apps.GetProperty("application").EnumerateArray()
            .ToDictionary(a => a.GetProperty("name").GetString()!, a => a.GetProperty("instance")[0].GetProperty("actionType").GetString());
        Assert.Equal("ADDED", actions["KEEP"]);
        Assert.Equal("DELETED", actions["GONE"]);

        using var delta = Content(JsonBody("delta", "d1"));
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("/eureka/apps/delta", delta)).StatusCode);
    }

    [Fact]
    public async Task Vips_ByVipAndSecureVip()
    {
        await RegisterAsync(Http, "catalog", "c1");
        await RegisterAsync(Http, "orders", "o1");
        using var vip = await GetJsonAsync(Http, "/eureka/vips/catalog");
        using var svip = await GetJsonAsync(Http, "/eureka/svips/orders");
        using var none = await GetJsonAsync(Http, "/eureka/vips/nothing");

        Assert.Equal(["c1"], InstanceIds(vip, "CATALOG"));
        Assert.Equal(["o1"], InstanceIds(svip, "ORDERS"));
        Assert.Equal(0, none.RootElement.GetProperty("applications").GetProperty("application").GetArrayLength());
    }

    [Fact]
    public async Task StatusOverride_PutThenDelete_StatusFollows()
    {
        await RegisterAsync(Http, "catalog", "c1");
        Assert.Equal(HttpStatusCode.OK, (await Http.PutAsync("/eureka/apps/CATALOG/c1/status?value=OUT_OF_SERVICE", null)).StatusCode);
        using (var doc = await GetJsonAsync(Http, "/eureka/apps/CATALOG/c1"))
        {
            var i = doc.RootElement.GetProperty("instance");
            Assert.Equal("OUT_OF_SERVICE", i.GetProperty("status").GetString());
            Assert.Equal("OUT_OF_SERVICE", i.GetProperty("overriddenStatus").GetString());
        }
        using (var apps = await GetJsonAsync(Http, "/eureka/apps"))
        {
            Assert.Equal("OUT_OF_SERVICE_1_", apps.RootElement.GetProperty("applications").GetProperty("apps__hashcode").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, (await Http.DeleteAsync("/eureka/apps/CATALOG/c1/status?value=UP")).StatusCode);
        using (var doc = await GetJsonAsync(Http, "/eureka/apps/CATALOG/c1"))
        {
            var i = doc.RootElement.GetProperty("instance");
            Assert.Equal("UP", i.GetProperty("status").GetString());
            Assert.Equal("UNKNOWN", i.GetProperty("overriddenStatus").GetString());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PutAsync("/eureka/apps/CATALOG/nope/status?value=UP", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PutAsync("/eureka/apps/CATALOG/c1/status?value=SLEEPY", null)).StatusCode);
    }

    [Fact]
    public async Task Metadata_Put_MergedIntoInstance()
    {
        await RegisterAsync(Http, "catalog", "c1");
        Assert.Equal(HttpStatusCode.OK, (await Http.PutAsync("/eureka/apps/CATALOG/c1/metadata?version=2&color=blue", null)).StatusCode);
        using var doc = await GetJsonAsync(Http, "/eureka/apps/CATALOG/c1");
        var metadata = doc.RootElement.GetProperty("instance").GetProperty("metadata");
        Assert.Equal("2", metadata.GetProperty("version").GetString());
        Assert.Equal("blue", metadata.GetProperty("color").GetString());
        Assert.Equal("zone1", metadata.GetProperty("zone").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PutAsync("/eureka/apps/CATALOG/nope/metadata?a=b", null)).StatusCode);
    }
}
