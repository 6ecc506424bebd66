namespace Infrastructure.Discovery.Client.Tests;

public sealed class ServiceInstanceTests
{
    [Fact]
    public void Uri_SecureInstance_UsesHttpsAndPort()
    {
        var i = new ServiceInstance("catalog", "h:catalog:8443", "h", 8443, true, new Dictionary<string, string> { ["zone"] = "eu-1" });
        Assert.Equal("https://h:8443/", i.Uri.ToString());
        Assert.Equal("eu-1", i.Zone);
    }
}
