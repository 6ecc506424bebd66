using Microsoft.Extensions.Configuration;

namespace Infrastructure.Config.Client.Tests;

public sealed class ConfigServerProviderTests
{
    [Theory]
    [InlineData("a.b[0].c", "a:b:0:c")]
    [InlineData("server.port", "server:port")]
    [InlineData("list[1][2]", "list:1:2")]
    [InlineData("plain", "plain")]
    public void ToConfigurationKey_SpringKey_MapsToDotNetKey(string spring, string expected) =>
        Assert.Equal(expected, ConfigServerConfigurationProvider.ToConfigurationKey(spring));

    [Fact]
    public void Flatten_SeveralSources_FirstSourceWinsAndTypesBecomeStrings()
    {
        var data = ConfigServerConfigurationProvider.Flatten("""
            {"name":"a","profiles":["dev"],"label":"master","version":null,"state":null,"propertySources":[
              {"name":"a-dev.yml","source":{"x":"dev","n":5,"list[0]":"p"}},
              {"name":"a.yml","source":{"x":"base","b":true,"list[0]":"q","list[1]":"r"}}]}
            """);
        Assert.Equal("dev", data["x"]);
        Assert.Equal("5", data["n"]);
        Assert.Equal("true", data["b"]);
        Assert.Equal("p", data["list:0"]);
        Assert.Equal("r", data["list:1"]);
    }

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

    [Theory]
    [InlineData("""{"destinations":["catalog"]}""", true)]
    [InlineData("""{"destinations":["*"]}""", true)]
    [InlineData("""{"destinations":["catalog:dev","catalog-dev"]}""", true)]
    [InlineData("""{"destinations":["catalog:prod"]}""", false)]
    [InlineData("""{"destinations":["*:dev"]}""", true)]
    [InlineData("""{"destinations":["order"]}""", false)]
    public void Concerns_EventDestinations_MatchNameAndProfiles(string json, bool expected)
    {
        var settings = new ConfigServerClientSettings { Name = "catalog", Profile = "dev,cloud", WatchEnabled = false, PollIntervalSeconds = 0 };
        using var p = new ConfigServerConfigurationProvider(settings, null);
        Assert.Equal(expected, p.Concerns(json));
    }
}

public sealed class RelaxedBindingTests
{
    [Fact]
    public void Flatten_KebabCaseKey_AlsoBindsToPascalCaseProperty()
    {
        var data = ConfigServerConfigurationProvider.Flatten("""{"propertySources":[{"name":"a","source":{"catalog.page-size":5}}]}""");
        var bound = new ConfigurationBuilder().AddInMemoryCollection(data).Build().GetSection("catalog").Get<Paging>();
        Assert.Equal(5, bound!.PageSize);
    }

    public sealed class Paging
    {
        public int PageSize { get; set; }
    }
}
