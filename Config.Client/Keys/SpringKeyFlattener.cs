using System.Text;
using System.Text.Json;
using Infrastructure.Config.Client.Fetching;

namespace Infrastructure.Config.Client.Keys;

/// <summary>
/// Spring's environment JSON to .NET configuration keys: <c>a.b[0].c</c> → <c>a:b:0:c</c>, the most specific property source
/// winning, and a dash-less alias for kebab-case keys (<c>page-size</c> also as <c>pagesize</c>, so it binds to <c>PageSize</c>).
/// </summary>
internal static class SpringKeyFlattener
{
    /// <summary>Spring's property sources (most specific first) to .NET keys; the first source that has a key wins.</summary>
    public static Dictionary<string, string?> Flatten(string environmentJson)
    {
        using var doc = JsonDocument.Parse(environmentJson);
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (!doc.RootElement.TryGetProperty("propertySources", out var sources) || sources.ValueKind != JsonValueKind.Array)
        {
            throw new ConfigServerException("response has no propertySources");
        }
        foreach (var source in sources.EnumerateArray())
        {
            if (!source.TryGetProperty("source", out var props) || props.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            foreach (var p in props.EnumerateObject())
            {
                data.TryAdd(ToConfigurationKey(p.Name), p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Null => "",
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => p.Value.GetRawText(),
                });
            }
        }
        // Spring's relaxed binding: page-size also binds to PageSize (the .NET binder ignores case, not dashes).
        foreach (var (key, value) in data.Where(kv => kv.Key.Contains('-', StringComparison.Ordinal)).ToList())
        {
            data.TryAdd(key.Replace("-", "", StringComparison.Ordinal), value);
        }
        return data;
    }

    /// <summary><c>a.b[0].c</c> → <c>a:b:0:c</c>.</summary>
    public static string ToConfigurationKey(string springKey)
    {
        var sb = new StringBuilder(springKey.Length);
        foreach (var c in springKey)
        {
            switch (c)
            {
                case '.':
                case '[':
                    sb.Append(':');
                    break;
                case ']':
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Whether two flattened environments hold the same keys and values.</summary>
    public static bool SameData(IDictionary<string, string?> a, IDictionary<string, string?> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
