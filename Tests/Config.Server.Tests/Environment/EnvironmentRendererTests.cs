using Infrastructure.Config.Server.Environment;

namespace Infrastructure.Config.Server.Tests.Environment;

public sealed class EnvironmentRendererTests
{
    [Fact]
    public void Nest_IndexedKeys_BuildsMapsAndLists()
    {
        var nested = EnvironmentRenderer.Nest(new OrderedDictionary<string, object?>
        {
            ["a.b[0].c"] = 1L,
            ["a.b[1]"] = "x",
            ["a.d"] = true,
        });
        var a = Assert.IsType<OrderedDictionary<string, object?>>(nested["a"]);
        var b = Assert.IsType<List<object?>>(a["b"]);
        Assert.Equal(1L, Assert.IsType<OrderedDictionary<string, object?>>(b[0])["c"]);
        Assert.Equal("x", b[1]);
        Assert.Equal(true, a["d"]);
    }

    [Fact]
    public void ToProperties_Merged_WritesSortedKeyColonValueLines() =>
        Assert.Equal("a.x: 1\nb: true\n", EnvironmentRenderer.ToProperties(new OrderedDictionary<string, object?> { ["b"] = true, ["a.x"] = 1L }));

    [Fact]
    public void ToYaml_StringThatLooksLikeNumber_IsQuoted() =>
        Assert.Matches("^a: ['\"]42['\"]\n$", EnvironmentRenderer.ToYaml(new OrderedDictionary<string, object?> { ["a"] = "42" }));
}
