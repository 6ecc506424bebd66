using Infrastructure.Discovery.Client.Simple;
using Microsoft.Extensions.Configuration;

namespace Infrastructure.Discovery.Client.Tests;

public sealed class SimpleServiceInstanceProviderTests
{
    [Fact]
    public void GetInstances_ConfiguredUris_CaseInsensitiveWithMetadata()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{SimpleServiceInstanceProvider.SectionName}:Catalog:0:Uri"] = "http://127.0.0.1:5001",
            [$"{SimpleServiceInstanceProvider.SectionName}:Catalog:0:Metadata:zone"] = "z1",
            [$"{SimpleServiceInstanceProvider.SectionName}:Catalog:1"] = "https://10.0.0.2:5443",
        }).Build();
        using var provider = new SimpleServiceInstanceProvider(config);
        var list = provider.GetInstances("CATALOG");
        Assert.Equal(2, list.Count);
        Assert.Equal("z1", list[0].Zone);
        Assert.True(list[1].Secure);
        Assert.Equal(5443, list[1].Port);
        Assert.Empty(provider.GetInstances("order"));
        Assert.Equal(["catalog"], provider.GetServices());
    }

    [Fact]
    public void Load_RelativeUri_ThrowsClearError()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{SimpleServiceInstanceProvider.SectionName}:catalog:0:Uri"] = "not a uri",
        }).Build();
        var ex = Assert.Throws<InvalidOperationException>(() => SimpleServiceInstanceProvider.Load(config));
        Assert.Contains("catalog", ex.Message, StringComparison.Ordinal);
    }
}
