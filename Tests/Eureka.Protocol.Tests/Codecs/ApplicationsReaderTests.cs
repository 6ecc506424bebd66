using System.Text;
using System.Text.Json;

namespace Infrastructure.Eureka.Protocol.Tests.Codecs;

public sealed class ApplicationsReaderTests
{
    [Fact]
    public void ParseApplications_EmptyRegistryAndMissingInstanceId_DefaultsLikeEureka()
    {
        var empty = ApplicationsReader.Parse(Encoding.UTF8.GetBytes("""{"applications":{"versions__delta":"1","apps__hashcode":"","application":[]}}"""));
        Assert.Empty(empty.Instances);

        var noId = ApplicationsReader.Parse(Encoding.UTF8.GetBytes(
            """{"applications":{"application":[{"name":"ORDER","instance":[{"hostName":"h2","status":"DOWN","port":{"$":9000,"@enabled":"true"}}]}]}}"""));
        var i = Assert.Single(noId.Instances);
        Assert.Equal("h2", i.InstanceId);
        Assert.Equal("ORDER", i.App);
        Assert.Equal(InstanceStatus.DOWN, i.Status);
    }

    [Fact]
    public void ParseApplications_NotAnApplicationsDocument_Throws()
    {
        Assert.Throws<JsonException>(() => ApplicationsReader.Parse(Encoding.UTF8.GetBytes("""{"error":"nope"}""")));
        Assert.ThrowsAny<JsonException>(() => ApplicationsReader.Parse(Encoding.UTF8.GetBytes("<applications/>")));
    }
}
