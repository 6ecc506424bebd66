using System.Globalization;
using System.Text;
using System.Text.Json;
using Infrastructure.Config.Server.Limits;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Infrastructure.Config.Server.Environment;

/// <summary>Parses <c>.yml/.yaml</c>, <c>.properties</c> and <c>.json</c> into Spring's flat dotted keys (<c>a.b[0].c</c>).</summary>
internal static class ConfigFileParser
{
    /// <summary>The extensions a backend looks for, in Spring Boot's order (properties outrank yaml for the same name).</summary>
    public static readonly string[] Extensions = [".properties", ".yml", ".yaml", ".json"];

    public static bool IsSupported(string fileName) =>
        Extensions.Contains(Path.GetExtension(fileName), StringComparer.OrdinalIgnoreCase);

    private static readonly InputLimits DefaultLimits = new();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UTF8Encoding LenientUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>
    /// Parses a file's bytes within <paramref name="limits"/>: yml and json must be UTF-8 (SnakeYAML refuses malformed input too);
    /// properties never fail on encoding (Spring reads them as ISO-8859-1), bad bytes become U+FFFD.
    /// </summary>
    public static IReadOnlyList<ParsedDocument> Parse(string displayName, byte[] content, InputLimits limits)
    {
        CheckSize(displayName, content.LongLength, limits);
        var bom = content.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        string text;
        if (Path.GetExtension(displayName).Equals(".properties", StringComparison.OrdinalIgnoreCase))
        {
            text = LenientUtf8.GetString(content, bom, content.Length - bom);
        }
        else
        {
            try
            {
                text = StrictUtf8.GetString(content, bom, content.Length - bom);
            }
            catch (DecoderFallbackException e)
            {
                var at = bom + Math.Max(e.Index, 0);
                var line = 1 + content.AsSpan(0, Math.Min(at, content.Length)).Count((byte)'\n');
                throw new ConfigFileParseException(displayName, line, "not valid UTF-8", e);
            }
        }
        return Parse(displayName, text, limits);
    }

    /// <summary>Refuses a file over <see cref="InputLimits.MaxFileBytes"/> before it is read.</summary>
    public static void CheckSize(string displayName, long length, InputLimits limits)
    {
        if (length > limits.MaxFileBytes)
        {
            throw new ConfigFileParseException(displayName, null, $"refused: {length} bytes, over the limit of {limits.MaxFileBytes} (ConfigServer:Limits:MaxFileBytes)");
        }
    }

    /// <summary>Parses a file; throws <see cref="ConfigFileParseException"/> with the line when it is malformed or over <paramref name="limits"/>.</summary>
    public static IReadOnlyList<ParsedDocument> Parse(string displayName, string content, InputLimits? limits = null)
    {
        var ext = Path.GetExtension(displayName).ToLowerInvariant();
        return ext switch
        {
            ".yml" or ".yaml" => ParseYaml(displayName, content, limits ?? DefaultLimits),
            ".properties" => [new ParsedDocument(ParseProperties(content), null)],
            ".json" => [new ParsedDocument(ParseJson(displayName, content), null)],
            _ => throw new ConfigFileParseException(displayName, null, "unsupported file type " + ext),
        };
    }

    private static List<ParsedDocument> ParseYaml(string displayName, string content, InputLimits limits)
    {
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(content));
        try
        {
            YamlGuard.Check(displayName, content, limits);
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            throw new ConfigFileParseException(displayName, e.Start.Line, e.InnerException?.Message ?? e.Message, e);
        }
        catch (InvalidOperationException e)
        {
            throw UnexpectedEnd(displayName, parser, e);
        }
        var docs = new List<ParsedDocument>();
        foreach (var doc in stream.Documents)
        {
            var flat = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            switch (doc.RootNode)
            {
                case YamlMappingNode map:
                    Flatten(map, "", flat);
                    break;
                case YamlScalarNode { Value: null or "" }:
                    break; // an empty document (e.g. a trailing ---)
                default:
                    throw new ConfigFileParseException(displayName, doc.RootNode.Start.Line, "the top level of a configuration document must be a mapping");
            }
            var profile = Take(flat, "spring.config.activate.on-profile") ?? Take(flat, "spring.profiles");
            if (flat.Count > 0 || profile is not null)
            {
                docs.Add(new ParsedDocument(flat, profile));
            }
        }
        return docs;
    }

    /// <summary>YamlDotNet reports some truncated constructs (an unclosed flow sequence at end of file) with an <see cref="InvalidOperationException"/>.</summary>
    internal static ConfigFileParseException UnexpectedEnd(string displayName, IParser parser, InvalidOperationException e) =>
        new(displayName, parser.Current?.End.Line, "unexpected end of the document (unclosed [ or {?)", e);

    private static string? Take(OrderedDictionary<string, object?> flat, string key)
    {
        if (flat.Remove(key, out var v))
        {
            return Convert.ToString(v, CultureInfo.InvariantCulture);
        }
        // A list form (spring.profiles: [dev, prod]) flattens to indexed keys.
        var parts = new List<string>();
        for (var i = 0; flat.Remove($"{key}[{i}]", out var item); i++)
        {
            parts.Add(Convert.ToString(item, CultureInfo.InvariantCulture) ?? "");
        }
        return parts.Count > 0 ? string.Join(',', parts) : null;
    }

    private static void Flatten(YamlNode node, string prefix, OrderedDictionary<string, object?> into)
    {
        switch (node)
        {
            case YamlMappingNode map:
                if (map.Children.Count == 0 && prefix.Length > 0)
                {
                    into[prefix] = "";
                }
                foreach (var (k, v) in map.Children)
                {
                    var key = k is YamlScalarNode s ? s.Value ?? "" : k.ToString();
                    Flatten(v, prefix.Length == 0 ? key : prefix + "." + key, into);
                }
                break;
            case YamlSequenceNode seq:
                if (seq.Children.Count == 0)
                {
                    into[prefix] = "";
                }
                for (var i = 0; i < seq.Children.Count; i++)
                {
                    Flatten(seq.Children[i], $"{prefix}[{i}]", into);
                }
                break;
            case YamlScalarNode scalar:
                into[prefix] = ScalarValue(scalar);
                break;
            default:
                into[prefix] = node.ToString();
                break;
        }
    }

    /// <summary>Plain scalars become numbers/booleans as SnakeYAML would; quoted ones stay strings; null becomes "" as Spring's YamlProcessor does.</summary>
    private static object? ScalarValue(YamlScalarNode scalar)
    {
        var v = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return v;
        }
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return "";
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
        }
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }
        if (v.Length > 0 && (char.IsDigit(v[0]) || v[0] is '-' or '+' or '.') && v.Any(char.IsDigit)
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            return d;
        }
        return v;
    }

    private static OrderedDictionary<string, object?> ParseJson(string displayName, string content)
    {
        var flat = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(content, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigFileParseException(displayName, 1, "the top level of a JSON configuration file must be an object");
            }
            FlattenJson(doc.RootElement, "", flat);
        }
        catch (JsonException e)
        {
            throw new ConfigFileParseException(displayName, e.LineNumber + 1, e.Message, e);
        }
        return flat;
    }

    private static void FlattenJson(JsonElement e, string prefix, OrderedDictionary<string, object?> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    FlattenJson(p.Value, prefix.Length == 0 ? p.Name : prefix + "." + p.Name, into);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    FlattenJson(item, $"{prefix}[{i++}]", into);
                }
                break;
            case JsonValueKind.String:
                into[prefix] = e.GetString();
                break;
            case JsonValueKind.Number:
                into[prefix] = e.TryGetInt64(out var l) ? (object)l : e.GetDouble();
                break;
            case JsonValueKind.True:
                into[prefix] = true;
                break;
            case JsonValueKind.False:
                into[prefix] = false;
                break;
            default:
                into[prefix] = "";
                break;
        }
    }

    /// <summary>java.util.Properties syntax: <c>=</c>, <c>:</c> or whitespace separators, <c>#</c>/<c>!</c> comments, <c>\</c> continuations and escapes.</summary>
    public static OrderedDictionary<string, object?> ParseProperties(string content)
    {
        var result = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        var lines = content.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimStart(' ', '\t', '\f');
            if (line.Length == 0 || line[0] is '#' or '!')
            {
                continue;
            }
            // Join continuation lines: an odd number of trailing backslashes continues the logical line.
            while (EndsWithContinuation(line) && i + 1 < lines.Length)
            {
                line = line[..^1] + lines[++i].TrimStart(' ', '\t', '\f');
            }
            if (EndsWithContinuation(line))
            {
                line = line[..^1];
            }
            var keyEnd = 0;
            while (keyEnd < line.Length && !(line[keyEnd] is '=' or ':' or ' ' or '\t' or '\f'))
            {
                keyEnd += line[keyEnd] == '\\' ? 2 : 1;
            }
            keyEnd = Math.Min(keyEnd, line.Length);
            var valueStart = keyEnd;
            while (valueStart < line.Length && line[valueStart] is ' ' or '\t' or '\f')
            {
                valueStart++;
            }
            if (valueStart < line.Length && line[valueStart] is '=' or ':')
            {
                valueStart++;
                while (valueStart < line.Length && line[valueStart] is ' ' or '\t' or '\f')
                {
                    valueStart++;
                }
            }
            result[Unescape(line[..keyEnd])] = Unescape(line[valueStart..]);
        }
        return result;
    }

    private static bool EndsWithContinuation(string line)
    {
        var n = 0;
        for (var j = line.Length - 1; j >= 0 && line[j] == '\\'; j--)
        {
            n++;
        }
        return n % 2 == 1;
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal))
        {
            return s;
        }
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c != '\\' || i + 1 >= s.Length)
            {
                sb.Append(c);
                continue;
            }
            var n = s[++i];
            switch (n)
            {
                case 't': sb.Append('\t'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 'f': sb.Append('\f'); break;
                case 'u' when i + 4 < s.Length && int.TryParse(s.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code):
                    sb.Append((char)code);
                    i += 4;
                    break;
                default: sb.Append(n); break;
            }
        }
        return sb.ToString();
    }
}
