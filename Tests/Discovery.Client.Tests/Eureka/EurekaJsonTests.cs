using System.Text;
using System.Text.Json;
using Infrastructure.Discovery.Client.Eureka.Registry;
using Infrastructure.Discovery.Client.Eureka.Transport;

namespace Infrastructure.Discovery.Client.Tests.Eureka;

public sealed class EurekaJsonTests
{
    [Fact]
    public void ParseApplications_SingleObjectsAndStringNumbers_Accepted()
    {
        // One application and one instance as bare objects, "$" as a string, "@enabled" as a boolean.
        const string json = """
            {"applications":{"versions__delta":"7","apps__hashcode":"UP_1_","application":{"name":"CATALOG","instance":{
              "instanceId":"h1:catalog:8080","hostName":"h1","app":"CATALOG","ipAddr":"10.0.0.1","status":"UP",
              "overriddenstatus":"UNKNOWN","port":{"$":"8080","@enabled":true},"securePort":{"$":8443,"@enabled":"false"},
              "leaseInfo":{"renewalIntervalInSecs":30,"durationInSecs":90},
              "metadata":{"@class":"java.util.Collections$EmptyMap"},
              "lastDirtyTimestamp":"1700000000000","actionType":"ADDED"}}}}
            """;
        var doc = EurekaJson.ParseApplications(Encoding.UTF8.GetBytes(json));
        Assert.Equal("7", doc.VersionsDelta);
        Assert.Equal("UP_1_", doc.AppsHashCode);
        var i = Assert.Single(doc.Instances);
        Assert.Equal("h1:catalog:8080", i.InstanceId);
        Assert.Equal(8080, i.Port);
        Assert.True(i.PortEnabled);
        Assert.False(i.SecurePortEnabled);
        Assert.Empty(i.Metadata);
        Assert.Equal(1700000000000, i.LastDirtyTimestamp);
        Assert.Equal("ADDED", i.ActionType);
        Assert.Equal(new Uri("http://h1:8080/"), i.ToServiceInstance().Uri);
    }

    [Fact]
    public void ParseApplications_EmptyRegistryAndMissingInstanceId_DefaultsLikeEureka()
    {
        var empty = EurekaJson.ParseApplications(Encoding.UTF8.GetBytes("""{"applications":{"versions__delta":"1","apps__hashcode":"","application":[]}}"""));
        Assert.Empty(empty.Instances);

        var noId = EurekaJson.ParseApplications(Encoding.UTF8.GetBytes(
            """{"applications":{"application":[{"name":"ORDER","instance":[{"hostName":"h2","status":"DOWN","port":{"$":9000,"@enabled":"true"}}]}]}}"""));
        var i = Assert.Single(noId.Instances);
        Assert.Equal("h2", i.InstanceId);
        Assert.Equal("ORDER", i.App);
        Assert.Equal("DOWN", i.Status);
    }

    [Fact]
    public void ParseApplications_NotAnApplicationsDocument_Throws()
    {
        Assert.Throws<JsonException>(() => EurekaJson.ParseApplications(Encoding.UTF8.GetBytes("""{"error":"nope"}""")));
        Assert.ThrowsAny<JsonException>(() => EurekaJson.ParseApplications(Encoding.UTF8.GetBytes("<applications/>")));
    }

    [Fact]
    public void WriteRegistration_Instance_HasEurekaShape()
    {
        var body = EurekaJson.WriteRegistration(new InstanceInfo
        {
            InstanceId = "h:catalog:8080",
            App = "CATALOG",
            HostName = "h",
            IpAddr = "10.0.0.1",
            Port = 8080,
            Metadata = new Dictionary<string, string> { ["zone"] = "z1" },
        });
        using var doc = JsonDocument.Parse(body);
        var i = doc.RootElement.GetProperty("instance");
        Assert.Equal(8080, i.GetProperty("port").GetProperty("$").GetInt32());
        Assert.Equal("true", i.GetProperty("port").GetProperty("@enabled").GetString());
        Assert.Equal("false", i.GetProperty("securePort").GetProperty("@enabled").GetString());
        Assert.Equal("com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", i.GetProperty("dataCenterInfo").GetProperty("@class").GetString());
        Assert.Equal("MyOwn", i.GetProperty("dataCenterInfo").GetProperty("name").GetString());
        Assert.Equal("z1", i.GetProperty("metadata").GetProperty("zone").GetString());
        Assert.Equal(30, i.GetProperty("leaseInfo").GetProperty("renewalIntervalInSecs").GetInt32());
        Assert.Equal(90, i.GetProperty("leaseInfo").GetProperty("durationInSecs").GetInt32());
    }

    [Fact]
    public void ComputeHashCode_MixedStatuses_CountsPerStatusInOrdinalOrder()
    {
        static InstanceInfo I(string id, string status) => new() { InstanceId = id, App = "A", HostName = "h", Status = status };
        Assert.Equal("DOWN_1_OUT_OF_SERVICE_1_UP_2_", LocalRegistry.ComputeHashCode([I("1", "UP"), I("2", "DOWN"), I("3", "UP"), I("4", "OUT_OF_SERVICE")]));
        Assert.Equal("", LocalRegistry.ComputeHashCode([]));
    }

    [Fact]
    public void ApplyDelta_AddedModifiedDeleted_OnlyUpInstancesVisible()
    {
        static InstanceInfo I(string id, string status, string? action = null) =>
            new() { InstanceId = id, App = "CATALOG", HostName = id, Port = 80, Status = status, ActionType = action };
        var registry = new LocalRegistry();
        registry.ReplaceAll([I("a", "UP"), I("b", "DOWN")]);
        Assert.Equal(["a"], registry.GetUpInstances("catalog").Select(i => i.InstanceId));

        var hash = registry.ApplyDelta([I("c", "UP", "ADDED"), I("b", "UP", "MODIFIED"), I("a", "UP", "DELETED")]);
        Assert.Equal("UP_2_", hash);
        Assert.Equal(["b", "c"], registry.GetUpInstances("CATALOG").Select(i => i.InstanceId));
        Assert.Equal(["catalog"], registry.GetServices());

        registry.ApplyDelta([I("b", "UP", "DELETED"), I("c", "UP", "DELETED")]);
        Assert.Empty(registry.GetUpInstances("catalog"));
        Assert.Empty(registry.GetServices());
    }
}
