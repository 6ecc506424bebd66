using Infrastructure.Config.Server.Environment;

namespace Infrastructure.Config.Server.Tests.Environment;

public sealed class PlaceholderResolverTests
{
    private static readonly Dictionary<string, object?> Lookup = new()
    {
        ["host"] = "db",
        ["port"] = 5432L,
        ["url"] = "${host}:${port}",
        ["self"] = "${self}",
    };

    [Theory]
    [InlineData("jdbc://${url}/x", "jdbc://db:5432/x")]
    [InlineData("${missing:fallback}", "fallback")]
    [InlineData("${missing:${host}}", "db")]
    [InlineData("${missing}", "${missing}")]
    [InlineData("no placeholders", "no placeholders")]
    [InlineData("${unclosed", "${unclosed")]
    public void ResolveValue_Cases_ResolvesLikeSpring(string input, string expected) =>
        Assert.Equal(expected, PlaceholderResolver.ResolveValue(input, Lookup, 0));

    [Fact]
    public void ResolveValue_SelfReference_Terminates() =>
        Assert.Equal("${self}", PlaceholderResolver.ResolveValue("${self}", Lookup, 0));

    [Fact]
    public void Resolve_AcrossSources_MostSpecificValueWins()
    {
        var env = new ConfigEnvironment
        {
            Name = "a",
            Profiles = ["dev"],
            PropertySources =
            [
                new PropertySource("specific", new OrderedDictionary<string, object?> { ["region"] = "local" }),
                new PropertySource("base", new OrderedDictionary<string, object?> { ["region"] = "eu", ["greeting"] = "hi from ${region}" }),
            ],
        };
        var resolved = PlaceholderResolver.Resolve(env);
        Assert.Equal("hi from local", resolved.PropertySources[1].Source["greeting"]);
    }
}
