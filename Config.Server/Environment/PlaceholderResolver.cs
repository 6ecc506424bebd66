using System.Globalization;
using System.Text;

namespace Infrastructure.Config.Server.Environment;

/// <summary>Resolves <c>${key}</c> and <c>${key:default}</c> across property sources (first source wins); unresolvable ones stay as written, as Spring's lenient resolver leaves them.</summary>
internal static class PlaceholderResolver
{
    private const int MaxDepth = 10;

    /// <summary>A copy of the environment with every string value resolved against the merged view.</summary>
    public static ConfigEnvironment Resolve(ConfigEnvironment env)
    {
        if (!env.PropertySources.Any(ps => ps.Source.Values.Any(v => v is string s && s.Contains("${", StringComparison.Ordinal))))
        {
            return env;
        }
        var merged = Merge(env.PropertySources);
        var sources = env.PropertySources.Select(ps =>
        {
            var copy = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (k, v) in ps.Source)
            {
                copy[k] = v is string s ? ResolveValue(s, merged, 0) : v;
            }
            return new PropertySource(ps.Name, copy);
        }).ToList();
        return new ConfigEnvironment
        {
            Name = env.Name,
            Profiles = env.Profiles,
            Label = env.Label,
            Version = env.Version,
            State = env.State,
            PropertySources = sources,
        };
    }

    /// <summary>The effective flat view: for each key the value from the first (most specific) source that has it, in first-seen order.</summary>
    public static OrderedDictionary<string, object?> Merge(IEnumerable<PropertySource> sources)
    {
        var merged = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var ps in sources)
        {
            foreach (var (k, v) in ps.Source)
            {
                merged.TryAdd(k, v);
            }
        }
        return merged;
    }

    public static string ResolveValue(string value, IReadOnlyDictionary<string, object?> lookup, int depth)
    {
        if (depth > MaxDepth || !value.Contains("${", StringComparison.Ordinal))
        {
            return value;
        }
        var sb = new StringBuilder(value.Length);
        var i = 0;
        while (i < value.Length)
        {
            var start = value.IndexOf("${", i, StringComparison.Ordinal);
            if (start < 0)
            {
                sb.Append(value, i, value.Length - i);
                break;
            }
            sb.Append(value, i, start - i);
            var end = FindClose(value, start + 2);
            if (end < 0)
            {
                sb.Append(value, start, value.Length - start);
                break;
            }
            var inner = value[(start + 2)..end];
            var colon = FindDefaultSeparator(inner);
            var key = colon < 0 ? inner : inner[..colon];
            key = ResolveValue(key, lookup, depth + 1);
            if (lookup.TryGetValue(key, out var found) && found is not null)
            {
                sb.Append(ResolveValue(Convert.ToString(found, CultureInfo.InvariantCulture) ?? "", lookup, depth + 1));
            }
            else if (colon >= 0)
            {
                sb.Append(ResolveValue(inner[(colon + 1)..], lookup, depth + 1));
            }
            else
            {
                sb.Append(value, start, end - start + 1);
            }
            i = end + 1;
        }
        return sb.ToString();
    }

    private static int FindClose(string s, int from)
    {
        var depth = 1;
        for (var i = from; i < s.Length; i++)
        {
            if (s[i] == '$' && i + 1 < s.Length && s[i + 1] == '{')
            {
                depth++;
                i++;
            }
            else if (s[i] == '}' && --depth == 0)
            {
                return i;
            }
        }
        return -1;
    }

    private static int FindDefaultSeparator(string inner)
    {
        var depth = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            if (inner[i] == '$' && i + 1 < inner.Length && inner[i + 1] == '{')
            {
                depth++;
                i++;
            }
            else if (inner[i] == '}')
            {
                depth--;
            }
            else if (inner[i] == ':' && depth == 0)
            {
                return i;
            }
        }
        return -1;
    }
}
