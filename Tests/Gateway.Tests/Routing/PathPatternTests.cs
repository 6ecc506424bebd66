using Infrastructure.Gateway.Routing;

namespace Infrastructure.Gateway.Tests.Routing;

public sealed class PathPatternTests
{
    [Theory]
    [InlineData("/api/**", "/api", true)]
    [InlineData("/api/**", "/api/a/b/c", true)]
    [InlineData("/api/**", "/apix", false)]
    [InlineData("/red/{segment}", "/red/1", true)]
    [InlineData("/red/{segment}", "/red/1/2", false)]
    [InlineData("/red/{segment}", "/red/", false)]
    [InlineData("/foo", "/foo/", true)]
    [InlineData("/foo", "/Foo", false)]
    [InlineData("/files/*.png", "/files/a.png", true)]
    [InlineData("/files/*.png", "/files/a.jpg", false)]
    [InlineData("/v?/x", "/v1/x", true)]
    [InlineData("/a/**/z", "/a/b/c/z", true)]
    [InlineData("/a/**/z", "/a/z", true)]
    [InlineData("/a/**/z", "/a/b/y", false)]
    [InlineData("/", "/", true)]
    [InlineData("/{id:\\d+}", "/42", true)]
    [InlineData("/{id:\\d+}", "/4x", false)]
    public void IsMatch_SpringPatterns_AsSpringDoes(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, new PathPattern(pattern).IsMatch(path));
    }

    [Fact]
    public void IsMatch_TrailingSlashDisabled_Rejected()
    {
        Assert.False(new PathPattern("/foo", matchTrailingSlash: false).IsMatch("/foo/"));
    }

    [Fact]
    public void TryMatch_Variables_Captured()
    {
        var vars = new Dictionary<string, string>();
        Assert.True(new PathPattern("/users/{user}/files/{*rest}").TryMatch("/users/ann/files/a/b.txt", vars));
        Assert.Equal("ann", vars["user"]);
        Assert.Equal("/a/b.txt", vars["rest"]);
    }

    [Fact]
    public void Ctor_RestNotLast_ClearError()
    {
        var ex = Assert.Throws<RouteDefinitionException>(() => new PathPattern("/{*rest}/x"));
        Assert.Contains("only allowed at the end", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseShortcut_NameAndArgs_GenKeys()
    {
        var d = NamedArgs.ParseShortcut("RewritePath=/api/(?<rest>.*), /${rest}");
        Assert.Equal("RewritePath", d.Name);
        Assert.Equal("/api/(?<rest>.*)", d.Get("regexp", 0));
        Assert.Equal("/${rest}", d.Get("replacement", 1));
        Assert.Empty(NamedArgs.ParseShortcut("PreserveHostHeader").Args);
        Assert.Throws<FormatException>(() => NamedArgs.ParseShortcut("=x"));
    }

    [Fact]
    public void ParseTime_ZonedDateTime_OffsetKept()
    {
        var t = RoutePredicateFactory.ParseTime("2017-01-20T17:42:47.789-07:00[America/Denver]");
        Assert.Equal(new DateTimeOffset(2017, 1, 21, 0, 42, 47, 789, TimeSpan.Zero), t.ToUniversalTime());
    }
}
