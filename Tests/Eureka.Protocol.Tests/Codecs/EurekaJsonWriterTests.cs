using System.Text.Json;

namespace Infrastructure.Eureka.Protocol.Tests.Codecs;

public sealed class EurekaJsonWriterTests
{
    [Fact]
    public void WriteRegistration_Instance_HasEurekaShape()
    {
        var body = EurekaJsonWriter.Registration(new InstanceInfo
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
}
