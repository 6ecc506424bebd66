using Infrastructure.Config.Client.Keys;
using Microsoft.Extensions.Configuration;

namespace Infrastructure.Config.Client.Tests.Keys;

public sealed class SpringKeyFlattenerTests
{
    [Theory]
    [InlineData("a.b[0].c", "a:b:0:c")]
    [InlineData("server.port", "server:port")]
    [InlineData("list[1][2]", "list:1:2")]
    [InlineData("plain", "plain")]
    public void ToConfigurationKey_SpringKey_MapsToDotNetKey(string spring, string expected) =>
        Assert.Equal(expected, SpringKeyFlattener.ToConfigurationKey(spring));

    [Fact]
    public void Flatten_SeveralSources_FirstSourceWinsAndTypesBecomeStrings()
    {
        var data = SpringKeyFlattener.Flatten("""
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
}

public sealed class RelaxedBindingTests
{
    [Fact]
    public void Flatten_KebabCaseKey_AlsoBindsToPascalCaseProperty()
    {
        var data = SpringKeyFlattener.Flatten("""{"propertySources":[{"name":"a","source":{"catalog.page-size":5}}]}""");
        var bound = new ConfigurationBuilder().AddInMemoryCollection(data).Build().GetSection("catalog").Get<Paging>();
        Assert.Equal(5, bound!.PageSize);
    }

    public sealed class Paging
    {
        public int PageSize { get; set; }
    }
}
