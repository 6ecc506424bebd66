using System.Globalization;
using System.Text;
using Infrastructure.Config.Server.Environment;
using Infrastructure.Config.Server.Limits;

namespace Infrastructure.Config.Server.Tests.Environment;

/// <summary>YAML documents that stand for far more than they weigh, or that nest too deep to load.</summary>
internal static class YamlBombs
{
    /// <summary>The classic: 9 levels of 9 aliases each (72 aliases to collections), 9^9 leaves once expanded, under 500 bytes.</summary>
    public static string BillionLaughs()
    {
        var sb = new StringBuilder("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
        for (var c = 'b'; c <= 'i'; c++)
        {
            var prev = (char)(c - 1);
            sb.Append(CultureInfo.InvariantCulture, $"{c}: &{c} [{string.Join(',', Enumerable.Repeat("*" + prev, 9))}]\n");
        }
        return sb.ToString();
    }

    /// <summary>Within 50 aliases (3 per level, 16 levels = 48) yet 3^16 ≈ 43 million leaves once expanded.</summary>
    public static string FewAliasesManyNodes()
    {
        var sb = new StringBuilder("l0: &l0 [x, x, x]\n");
        for (var i = 1; i <= 16; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"l{i}: &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}]\n");
        }
        return sb.ToString();
    }

    /// <summary>A value nested <paramref name="levels"/> flow sequences deep.</summary>
    public static string Nested(int levels) => "a: " + new string('[', levels) + "x" + new string(']', levels) + "\n";
}

public sealed class InputLimitsParserTests
{
    private static async Task<ConfigFileParseException> RefusedAsync(string yaml, InputLimits? limits = null)
    {
        // A guard against hanging, not a speed check: without the limits these documents take minutes or exhaust memory.
        var parse = Task.Run(() => ConfigFileParser.Parse("bomb.yml", yaml, limits ?? new InputLimits()));
        var e = await Assert.ThrowsAsync<ConfigFileParseException>(() => parse.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("bomb.yml", e.File);
        Assert.Contains("refused", e.Error, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public async Task Parse_BillionLaughs_Refused()
    {
        Assert.True(Encoding.UTF8.GetByteCount(YamlBombs.BillionLaughs()) < 500);
        var e = await RefusedAsync(YamlBombs.BillionLaughs());
        Assert.Contains("aliases", e.Error, StringComparison.Ordinal);
        Assert.Equal(6, e.Line); // the first alias to e takes the copies past 100,000 nodes
    }

    [Fact]
    public async Task Parse_51AliasesToCollections_RefusedAsSnakeYaml()
    {
        var sb = new StringBuilder("defaults: &d {timeout: 5}\n");
        for (var i = 0; i < 51; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"svc{i}: *d\n");
        }
        var e = await RefusedAsync(sb.ToString());
        Assert.Contains("more than 50 aliases to sequences or mappings", e.Error, StringComparison.Ordinal);
        Assert.Equal(52, e.Line);
    }

    [Fact]
    public async Task Parse_FewAliasesExpandingToMillions_RefusedForExpansion()
    {
        var e = await RefusedAsync(YamlBombs.FewAliasesManyNodes());
        Assert.Contains("aliases expand to more than 100000 nodes", e.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(51)]
    [InlineData(100_000)]
    public async Task Parse_DeepNesting_RefusedNotStackOverflow(int levels)
    {
        var e = await RefusedAsync(YamlBombs.Nested(levels));
        Assert.Contains("nesting deeper than 50", e.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_AliasNestingTooDeepOnceExpanded_Refused()
    {
        var yaml = "a: &a " + new string('[', 40) + "x" + new string(']', 40) + "\nb: " + new string('[', 20) + "*a" + new string(']', 20) + "\n";
        var e = await RefusedAsync(yaml);
        Assert.Contains("alias *a nests deeper than 50", e.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_AliasInsideItsOwnAnchor_Refused()
    {
        var e = await RefusedAsync("a: &a [x, *a]\n");
        Assert.Contains("refers to a node that contains it", e.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_LimitsFromSettings_Apply()
    {
        var yaml = "base: &b {x: 1, y: 2}\none: *b\ntwo: *b\n";
        Assert.Equal(1L, Assert.Single(ConfigFileParser.Parse("ok.yml", yaml, new InputLimits())).Properties["two.x"]);
        var e = await RefusedAsync(yaml, new InputLimits { MaxAliasesForCollections = 1 });
        Assert.Contains("more than 1 aliases", e.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FiftyAliasesToCollectionsAndScalarAliases_Allowed()
    {
        var sb = new StringBuilder("defaults: &d {timeout: 5, retries: 3}\nname: &n shop\n");
        for (var i = 0; i < 50; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"svc{i}: {{settings: *d, label: *n}}\n");
        }
        var p = Assert.Single(ConfigFileParser.Parse("many.yml", sb.ToString())).Properties;
        Assert.Equal(3L, p["svc49.settings.retries"]);
        Assert.Equal("shop", p["svc49.label"]);
    }

    [Fact]
    public void Parse_FileOverSizeLimit_Refused()
    {
        var content = Encoding.UTF8.GetBytes("a: " + new string('x', 2000) + "\n");
        var e = Assert.Throws<ConfigFileParseException>(() => ConfigFileParser.Parse("big.yml", content, new InputLimits { MaxFileBytes = 1000 }));
        Assert.Contains("MaxFileBytes", e.Error, StringComparison.Ordinal);
        Assert.Single(ConfigFileParser.Parse("big.yml", content, new InputLimits()));
    }

    [Theory]
    [InlineData("tab.yml", "a:\n\tb: 1\n")]
    [InlineData("quote.yml", "a: \"unclosed\nb: 2\n")]
    [InlineData("quote1.yml", "a: 'unclosed\n")]
    [InlineData("dup.yml", "a: 1\na: 2\n")]
    [InlineData("dup-nested.yml", "a:\n  b: 1\n  b: 2\n")]
    [InlineData("anchor.yml", "a: *nowhere\n")]
    [InlineData("indent.yml", "a:\n  b: 1\n c: 2\n")]
    [InlineData("scalar-root.yml", "just a string\n")]
    [InlineData("json.json", "{\"a\": [1, 2\n")]
    [InlineData("deep.json", "{\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}")]
    public void Parse_MalformedFile_ParseExceptionWithLine(string name, string content)
    {
        var e = Assert.Throws<ConfigFileParseException>(() => ConfigFileParser.Parse(name, Encoding.UTF8.GetBytes(content), new InputLimits()));
        Assert.Equal(name, e.File);
        Assert.NotNull(e.Line);
    }

    [Fact]
    public void Parse_InvalidUtf8Yaml_ParseExceptionNamingLine()
    {
        byte[] content = [.. "a: 1\nb: "u8, 0xC3, 0x28, .. "\n"u8];
        var e = Assert.Throws<ConfigFileParseException>(() => ConfigFileParser.Parse("latin.yml", content, new InputLimits()));
        Assert.Contains("UTF-8", e.Error, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Parse_InvalidUtf8PropertiesAndBom_ReadLikeSpring()
    {
        byte[] properties = [0xEF, 0xBB, 0xBF, .. "a=caf"u8, 0xE9, .. "\nb=2\n"u8];
        var p = Assert.Single(ConfigFileParser.Parse("x.properties", properties, new InputLimits())).Properties;
        Assert.Equal("caf\uFFFD", p["a"]);
        Assert.Equal("2", p["b"]);
        byte[] yaml = [0xEF, 0xBB, 0xBF, .. "a: 1\n"u8];
        Assert.Equal(1L, Assert.Single(ConfigFileParser.Parse("x.yml", yaml, new InputLimits())).Properties["a"]);
    }
}
