using System.Globalization;
using System.Text;

namespace Infrastructure.Gateway.Routing;

/// <summary>A route as configured or posted to the actuator, in Spring Cloud Gateway's shape.</summary>
public sealed class RouteDefinition
{
    /// <summary>Unique route id.</summary>
    public string Id { get; set; } = "";

    /// <summary>Destination: <c>http(s)://host:port[/base]</c> or <c>lb://service-id</c>.</summary>
    public string Uri { get; set; } = "";

    /// <summary>All must match for the route to be chosen.</summary>
    public List<NamedArgs> Predicates { get; set; } = [];

    /// <summary>Applied in order after the default filters.</summary>
    public List<NamedArgs> Filters { get; set; } = [];

    /// <summary>Lower orders are tried first; declaration order breaks ties. Default 0.</summary>
    public int Order { get; set; }

    /// <summary>Free-form settings (<c>response-timeout</c>, <c>connect-timeout</c>, <c>lb-rule</c>...).</summary>
    public Dictionary<string, string> Metadata { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>A predicate or filter: a factory name and its arguments (<c>_genkey_N</c> for positional shortcut arguments, as Spring does).</summary>
public sealed class NamedArgs
{
    private const string GenKeyPrefix = "_genkey_";

    /// <summary>Factory name, e.g. <c>Path</c> or <c>StripPrefix</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>Arguments by name, in declaration order.</summary>
    public Dictionary<string, string> Args { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Parses Spring's shortcut form <c>Name=arg1, arg2</c>.</summary>
    /// <exception cref="FormatException">No name before '='.</exception>
    public static NamedArgs ParseShortcut(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        var name = (eq < 0 ? text : text[..eq]).Trim();
        if (name.Length == 0)
        {
            throw new FormatException($"'{text}' is not in the form Name=arg1, arg2");
        }
        var result = new NamedArgs { Name = name };
        if (eq >= 0)
        {
            var args = text[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries);
            for (var i = 0; i < args.Length; i++)
            {
                if (args.Length == 1 && args[0].Length == 0)
                {
                    break;
                }
                result.Args[GenKeyPrefix + i.ToString(CultureInfo.InvariantCulture)] = args[i];
            }
        }
        return result;
    }

    /// <summary>The argument called <paramref name="name"/>, else the positional one at <paramref name="position"/>.</summary>
    public string? Get(string name, int position)
    {
        if (Args.TryGetValue(name, out var v))
        {
            return v;
        }
        return Args.TryGetValue(GenKeyPrefix + position.ToString(CultureInfo.InvariantCulture), out v) ? v : null;
    }

    /// <summary>Every argument value in order (Spring's GATHER_LIST: <c>Path=/a/**,/b/**</c>); comma-separated named values are split too.</summary>
    public List<string> All()
    {
        var list = new List<string>(Args.Count);
        foreach (var v in Args.Values)
        {
            foreach (var part in v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                list.Add(part);
            }
        }
        return list;
    }

    /// <summary>Spring's <c>toString</c>-like display, e.g. <c>StripPrefix parts = '1'</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Name);
        foreach (var (k, v) in Args)
        {
            sb.Append(' ').Append(k).Append(" = '").Append(v).Append('\'');
        }
        return sb.ToString();
    }
}
