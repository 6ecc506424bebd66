using Microsoft.Extensions.Configuration;

namespace Infrastructure.Config.Client.Tests;

public sealed class ConfigServerProviderTests
{
    [Fact]
    public void Settings_SteeltoeAndSpringKeys_AreRead()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Spring:Application:Name"] = "catalog",
            ["Spring:Cloud:Config:Uri"] = "http://a:1, http://b:2/",
            ["Spring:Cloud:Config:Label"] = "release/1",
            ["Spring:Cloud:Config:FailFast"] = "true",
            ["Spring:Cloud:Config:Retry:MaxAttempts"] = "3",
        }).Build();
        var s = ConfigServerClientSettings.From(config, "Development", "Host.Name");
        Assert.Equal("catalog", s.Name);
        Assert.Equal("development", s.Profile);
        Assert.Equal([new Uri("http://a:1/"), new Uri("http://b:2/")], s.Uris);
        Assert.Equal("release/1", s.Label);
        Assert.True(s.FailFast);
        Assert.True(s.RetryEnabled);
        Assert.Equal(3, s.RetryMaxAttempts);
    }
}
