using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Serialization;

namespace Infrastructure.Config.Server.Environment;

/// <summary>The merged forms Spring serves at <c>/{app}-{profile}.yml|.properties|.json</c>: yaml and json nested, properties flat.</summary>
internal static partial class EnvironmentRenderer
{
    private static readonly ISerializer Yaml = new SerializerBuilder().WithQuotingNecessaryStrings().Build();

    public static string ToProperties(OrderedDictionary<string, object?> merged)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in merged.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sb.Append(k).Append(": ").Append(Format(v)).Append('\n');
        }
        return sb.ToString();
    }

    public static string ToYaml(OrderedDictionary<string, object?> merged) => Yaml.Serialize(Nest(merged));

    public static string ToJson(OrderedDictionary<string, object?> merged) =>
        JsonSerializer.Serialize(Nest(merged), new JsonSerializerOptions { WriteIndented = true });

    private static string Format(object? v) => v switch
    {
        null => "",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>Turns <c>a.b[0].c</c> keys back into maps and lists.</summary>
    public static OrderedDictionary<string, object?> Nest(OrderedDictionary<string, object?> flat)
    {
        var root = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in flat)
        {
            var path = Tokenize(key);
            object container = root;
            for (var i = 0; i < path.Count; i++)
            {
                var last = i == path.Count - 1;
                var token = path[i];
                object? Create() => last ? value : path[i + 1] is int ? new List<object?>() : new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                object? next;
                if (container is OrderedDictionary<string, object?> map && token is string name)
                {
                    if (!map.TryGetValue(name, out next) || (!last && next is not (List<object?> or OrderedDictionary<string, object?>)))
                    {
                        next = Create();
                        map[name] = next;
                    }
                }
                else if (container is List<object?> list && token is int index)
                {
                    while (list.Count <= index)
                    {
                        list.Add(null);
                    }
                    next = list[index];
                    if (next is null || (!last && next is not (List<object?> or OrderedDictionary<string, object?>)))
                    {
                        next = Create();
                        list[index] = next;
                    }
                }
                else
                {
                    break; // shape conflict (a.b = 1 and a.b[0] = 2): the more specific source already won this key
                }
                if (last || next is null)
                {
                    break;
                }
                container = next;
            }
        }
        return root;
    }

    private static List<object> Tokenize(string key)
    {
        var tokens = new List<object>();
        foreach (var part in key.Split('.'))
        {
            var m = IndexedPart().Match(part);
            if (!m.Success)
            {
                tokens.Add(part);
                continue;
            }
            tokens.Add(m.Groups[1].Value);
            foreach (Capture c in m.Groups[2].Captures)
            {
                tokens.Add(int.Parse(c.Value, CultureInfo.InvariantCulture));
            }
        }
        return tokens;
    }

    [GeneratedRegex(@"^(.+?)(?:\[(\d+)\])+$")]
    private static partial Regex IndexedPart();
}
