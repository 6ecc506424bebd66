using System.Text;
using Infrastructure.Config.Server.Environment;
using Infrastructure.Config.Server.Limits;

namespace Infrastructure.Config.Server.Tests.Environment;

/// <summary>Mutated configuration files: each parses or is refused with <see cref="ConfigFileParseException"/> naming the file — no other exception, no hang.</summary>
public sealed class ConfigFileFuzzTests
{
    private const string Yaml = """
        server:
          port: 8080
        greeting: "hello: world"
        list:
          - a
          - &anchor { x: 1, y: [1, 2, 3] }
          - *anchor
        multi: |
          line one
          line two
        ---
        spring:
          config:
            activate:
              on-profile: prod
        greeting: 'prod'
        """;

    private const string Properties = """
        server.port=8080
        greeting = hello \
          world
        list[0]=a
        unicode=caf\u00e9
        # comment
        ! another
        key\:with\=escapes = v
        """;

    private const string Json = """{"server":{"port":8080},"list":[1,{"a":null}],"s":"x\u0041"}""";

    private static readonly byte[][] Noise =
    [
        "&a"u8.ToArray(), "*a"u8.ToArray(), "<<: *a"u8.ToArray(), "["u8.ToArray(), "{"u8.ToArray(), "}"u8.ToArray(), "]"u8.ToArray(),
        "\t"u8.ToArray(), "\n  "u8.ToArray(), "\""u8.ToArray(), "'"u8.ToArray(), ": "u8.ToArray(), "---\n"u8.ToArray(), "!!binary "u8.ToArray(),
        "!!python/object:x "u8.ToArray(), "%YAML 1.1\n"u8.ToArray(), "\\"u8.ToArray(), "\\u12"u8.ToArray(), [0x00], [0xFF], [0xC3], [0xEF, 0xBB, 0xBF],
        "? "u8.ToArray(), "|"u8.ToArray(), ">-"u8.ToArray(), "#"u8.ToArray(),
    ];

    [Theory]
    [InlineData("fuzz.yml", Yaml)]
    [InlineData("fuzz.properties", Properties)]
    [InlineData("fuzz.json", Json)]
    public void MutatedFiles_ParseOrRefuseWithTheFileNamed(string name, string seed)
    {
        var random = new Random(name.Length * 7919);
        var limits = new InputLimits();
        var parsed = 0;
        var refused = 0;
        for (var i = 0; i < 1500; i++)
        {
            var bytes = Mutate(random, Encoding.UTF8.GetBytes(seed));
            try
            {
                var documents = ConfigFileParser.Parse(name, bytes, limits);
                Assert.NotNull(documents);
                parsed++;
            }
            catch (ConfigFileParseException e)
            {
                Assert.Contains(name, e.Message, StringComparison.Ordinal);
                refused++;
            }
        }
        // Both outcomes were exercised, so the mutations neither all broke nor all missed the parser; a properties file
        // never fails (Spring reads any bytes as ISO-8859-1 text), so there every mutation must parse.
        var lenient = name.EndsWith(".properties", StringComparison.Ordinal);
        Assert.True(parsed > 0 && (lenient ? refused == 0 : refused > 0), $"parsed {parsed}, refused {refused}");
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = new List<byte>(seed);
        var edits = 1 + random.Next(5);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes.InsertRange(at, Noise[random.Next(Noise.Length)]);
                    break;
                case 1:
                    bytes.RemoveAt(at);
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    bytes[at] = (byte)random.Next(256);
                    break;
                default:
                    var length = Math.Min(1 + random.Next(16), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
            }
        }
        return [.. bytes];
    }
}
