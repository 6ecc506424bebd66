using Infrastructure.Mesh.Sidecar.Hosting;

namespace Infrastructure.Mesh.Sidecar.Tests.Hosting;

public class SidecarCommandLineTests
{
    [Fact]
    public void Parse_FlagsMetadataAndAppCommand()
    {
        var line = SidecarCommandLine.Parse([
            "--app-name", "reviews", "--app-port=9081", "--metadata", "version=v2", "--metadata", "zone=a",
            "--drain-duration", "500ms", "--Eureka:Client:ServiceUrl:DefaultZone=http://127.0.0.1:8761/eureka/",
            "--", "python3", "reviews.py", "--port", "9081"]);
        Assert.Equal("reviews", line.Settings["Sidecar:AppName"]);
        Assert.Equal("9081", line.Settings["Sidecar:AppPort"]);
        Assert.Equal("v2", line.Settings["Sidecar:Metadata:version"]);
        Assert.Equal("a", line.Settings["Sidecar:Metadata:zone"]);
        Assert.Equal("00:00:00.5000000", line.Settings["Sidecar:DrainDuration"]);
        Assert.Equal(["--Eureka:Client:ServiceUrl:DefaultZone=http://127.0.0.1:8761/eureka/"], line.HostArguments);
        Assert.Equal(["python3", "reviews.py", "--port", "9081"], line.AppCommand);
    }

    [Fact]
    public void Parse_NoCommand_ProxiesAnAppStartedElsewhere() =>
        Assert.Empty(SidecarCommandLine.Parse(["--app-name", "ratings", "--app-port", "9080"]).AppCommand);

    [Theory]
    [InlineData("--app-name")]
    [InlineData("--metadata", "version")]
    public void Parse_FlagWithoutValue_Throws(params string[] args) =>
        Assert.Throws<ArgumentException>(() => SidecarCommandLine.Parse(args));
}

public class SidecarOptionsTests
{
    [Fact]
    public void Problems_NameTheSetting()
    {
        var problems = new SidecarOptions { AppPort = 0 }.Problems();
        Assert.Contains(problems, p => p.StartsWith("Sidecar:AppName", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Sidecar:AppPort", StringComparison.Ordinal));
    }

    [Fact]
    public void Problems_PortsMustDiffer()
    {
        Assert.Contains(SidecarOptions.PortsMessage, new SidecarOptions { AppName = "ratings", AppPort = 15000 }.Problems());
        Assert.Empty(new SidecarOptions { AppName = "ratings", AppPort = 9080 }.Problems());
    }

    [Fact]
    public void Labels_AreAppPlusMetadata()
    {
        var options = new SidecarOptions { AppName = "reviews" };
        options.Metadata["version"] = "v2";
        Assert.Equal(new Dictionary<string, string> { ["app"] = "reviews", ["version"] = "v2" }, options.Labels());
        Assert.Equal("spiffe://cluster.local/ns/default/sa/reviews", SidecarOptions.SpiffeId("REVIEWS"));
    }

    [Fact]
    public void ControlPlane_SeveralReplicas_CommaSeparated()
    {
        var options = new SidecarOptions { AppName = "ratings", AppPort = 9080, ControlPlane = "http://127.0.0.1:15010, http://127.0.0.1:15011" };
        Assert.Empty(options.Problems());
        Assert.Equal([new Uri("http://127.0.0.1:15010"), new Uri("http://127.0.0.1:15011")], options.ControlPlaneAddresses());
        using var channel = new Infrastructure.Mesh.Sidecar.Xds.ControlPlaneChannel(Microsoft.Extensions.Options.Options.Create(options));
        Assert.Equal("http://127.0.0.1:15010", channel.Address);
        channel.FailOver();
        Assert.Equal("http://127.0.0.1:15011", channel.Address);
        channel.FailOver();
        Assert.Equal("http://127.0.0.1:15010", channel.Address);
    }

    [Theory]
    [InlineData("127.0.0.1:15010")]
    [InlineData("ftp://127.0.0.1:15010")]
    [InlineData("http://127.0.0.1:15010,")]
    [InlineData("http://a b")]
    [InlineData("http://[::1")]
    public void ControlPlane_NotAnAddressList_IsAProblem(string value) =>
        Assert.Contains(new SidecarOptions { AppName = "ratings", AppPort = 9080, ControlPlane = value }.Problems(),
            p => p.StartsWith("Sidecar:ControlPlane", StringComparison.Ordinal));
}
