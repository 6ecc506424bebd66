using Infrastructure.Config.Server.Environment;

namespace Infrastructure.Config.Server.Tests.Environment;

public sealed class ConfigFileParserTests
{
    [Fact]
    public void Parse_YamlWithListsAndScalars_FlattensToSpringKeys()
    {
        var docs = ConfigFileParser.Parse("a.yml", """
            server:
              port: 8081
            catalog:
              enabled: true
              ratio: 0.5
              quoted: '42'
              empty:
              items:
                - a
                - name: b
                  tags: [x, y]
            """);
        var p = Assert.Single(docs).Properties;
        Assert.Equal(8081L, p["server.port"]);
        Assert.Equal(true, p["catalog.enabled"]);
        Assert.Equal(0.5, p["catalog.ratio"]);
        Assert.Equal("42", p["catalog.quoted"]);
        Assert.Equal("", p["catalog.empty"]);
        Assert.Equal("a", p["catalog.items[0]"]);
        Assert.Equal("b", p["catalog.items[1].name"]);
        Assert.Equal("y", p["catalog.items[1].tags[1]"]);
        Assert.Equal(["server.port", "catalog.enabled", "catalog.ratio", "catalog.quoted", "catalog.empty", "catalog.items[0]", "catalog.items[1].name", "catalog.items[1].tags[0]", "catalog.items[1].tags[1]"], p.Keys);
    }

    [Fact]
    public void Parse_MultiDocumentYaml_MarksProfileDocuments()
    {
        var docs = ConfigFileParser.Parse("a.yml", """
            a: 1
            ---
            spring:
              config:
                activate:
                  on-profile: dev
            a: 2
            ---
            spring.profiles: prod
            a: 3
            """);
        Assert.Equal(3, docs.Count);
        Assert.Null(docs[0].ActivateOnProfile);
        Assert.Equal("dev", docs[1].ActivateOnProfile);
        Assert.Equal("prod", docs[2].ActivateOnProfile);
        Assert.False(docs[1].Properties.ContainsKey("spring.config.activate.on-profile"));
    }

    [Fact]
    public void Parse_BrokenYaml_ThrowsWithFileAndLine()
    {
        var e = Assert.Throws<ConfigFileParseException>(() => ConfigFileParser.Parse("broken.yml", "a: 1\nb: [unclosed\nc: 3\n"));
        Assert.Equal("broken.yml", e.File);
        Assert.NotNull(e.Line);
        Assert.Contains("broken.yml", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseProperties_JavaSyntax_HandlesSeparatorsCommentsEscapesAndContinuations()
    {
        var p = ConfigFileParser.ParseProperties("""
            # comment
            ! also comment
            a=1
            b : two
            c three
            d=line one \
               continued
            e=tab\there \u0041
            f\:g=colon key
            """);
        Assert.Equal("1", p["a"]);
        Assert.Equal("two", p["b"]);
        Assert.Equal("three", p["c"]);
        Assert.Equal("line one continued", p["d"]);
        Assert.Equal("tab\there A", p["e"]);
        Assert.Equal("colon key", p["f:g"]);
        Assert.Equal(6, p.Count);
    }

    [Fact]
    public void Parse_Json_FlattensObjectsAndArrays()
    {
        var p = Assert.Single(ConfigFileParser.Parse("a.json", """{"a":{"b":[1,{"c":"x"}],"t":true}}""")).Properties;
        Assert.Equal(1L, p["a.b[0]"]);
        Assert.Equal("x", p["a.b[1].c"]);
        Assert.Equal(true, p["a.t"]);
    }

    [Fact]
    public void Parse_BrokenJson_ThrowsWithLine()
    {
        var e = Assert.Throws<ConfigFileParseException>(() => ConfigFileParser.Parse("x.json", "{\n\"a\": \n}"));
        Assert.Equal(3, e.Line);
    }
}
