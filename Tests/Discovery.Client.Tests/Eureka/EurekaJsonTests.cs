using System.Text;
using System.Text.Json;
using Infrastructure.Discovery.Client.Eureka.Registry;
using Infrastructure.Discovery.Client.Eureka.Transport;
using Infrastructure.Eureka.Protocol;

namespace Infrastructure.Discovery.Client.Tests.Eureka;

/// <summary>The client's copy of the registry as it reads and patches it (the codec itself: Tests/Eureka.Protocol.Tests).</summary>
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
        var doc = ApplicationsReader.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal("7", doc.VersionsDelta);
        Assert.Equal("UP_1_", doc.AppsHashCode);
        var i = Assert.Single(doc.Instances);
        Assert.Equal("h1:catalog:8080", i.InstanceId);
        Assert.Equal(8080, i.Port);
        Assert.True(i.PortEnabled);
        Assert.False(i.SecurePortEnabled);
        Assert.Empty(i.Metadata);
        Assert.Equal(1700000000000, i.LastDirtyTimestamp);
        Assert.Equal(ActionType.ADDED, i.ActionType);
        Assert.Equal(new Uri("http://h1:8080/"), i.ToServiceInstance().Uri);
    }

    [Fact]
    public void ComputeHashCode_MixedStatuses_CountsPerStatusInOrdinalOrder()
    {
        static InstanceInfo I(string id, string status) => new() { InstanceId = id, App = "A", HostName = "h", IpAddr = "10.0.0.1", Status = Enum.Parse<InstanceStatus>(status) };
        Assert.Equal("DOWN_1_OUT_OF_SERVICE_1_UP_2_", LocalRegistry.ComputeHashCode([I("1", "UP"), I("2", "DOWN"), I("3", "UP"), I("4", "OUT_OF_SERVICE")]));
        Assert.Equal("", LocalRegistry.ComputeHashCode([]));
    }

    [Fact]
    public void ApplyDelta_AddedModifiedDeleted_OnlyUpInstancesVisible()
    {
        static InstanceInfo I(string id, string status, string? action = null) =>
            new() { InstanceId = id, App = "CATALOG", HostName = id, IpAddr = "10.0.0.1", Port = 80, Status = Enum.Parse<InstanceStatus>(status), ActionType = action is null ? null : Enum.Parse<ActionType>(action) };
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
