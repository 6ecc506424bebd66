using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.Gateway.Routing;

/// <summary>What a predicate sees: the request, and one random draw per weight group for this request.</summary>
internal ref struct MatchContext
{
    public HttpContext Http;
    public Span<double> WeightDraws;
}

/// <summary>One route predicate (Spring's <c>RoutePredicateFactory</c> product).</summary>
internal interface IRoutePredicate
{
    bool Matches(ref MatchContext context);

    /// <summary>Spring-like description for the actuator, e.g. <c>Paths: [/api/**], match trailing slash: true</c>.</summary>
    string Describe();
}

/// <summary>Builds predicates from their definitions (Spring's predicate factories, same names and argument order).</summary>
internal static class RoutePredicateFactory
{
    public static IReadOnlyList<string> Names { get; } =
        ["After", "Before", "Between", "Cookie", "Header", "Host", "Method", "Path", "Query", "RemoteAddr", "Weight", "XForwardedRemoteAddr"];

    public static IRoutePredicate Create(NamedArgs d, TimeProvider time)
    {
        switch (d.Name.ToUpperInvariant())
        {
            case "PATH":
                // Spring's GATHER_LIST_TAIL_FLAG: patterns, then an optional matchTrailingSlash flag.
                var patterns = d.All();
                var trailing = true;
                if (patterns.Count > 0 && bool.TryParse(patterns[^1], out var flag))
                {
                    trailing = flag;
                    patterns.RemoveAt(patterns.Count - 1);
                }
                return new PathPredicate(Required(patterns, d).Select(p => new PathPattern(p, trailing)).ToArray(), trailing);
            case "METHOD":
                return new MethodPredicate(Required(d.All(), d).Select(m => m.ToUpperInvariant()).ToArray());
            case "HOST":
                return new HostPredicate(Required(d.All(), d));
            case "HEADER":
                return new HeaderPredicate(Arg(d, "header", 0), OptionalRegex(d.Get("regexp", 1)));
            case "QUERY":
                return new QueryPredicate(Arg(d, "param", 0), OptionalRegex(d.Get("regexp", 1)));
            case "COOKIE":
                return new CookiePredicate(Arg(d, "name", 0), OptionalRegex(Arg(d, "regexp", 1))!);
            case "AFTER":
                return new TimePredicate(time, ParseTime(Arg(d, "datetime", 0)), null);
            case "BEFORE":
                return new TimePredicate(time, null, ParseTime(Arg(d, "datetime", 0)));
            case "BETWEEN":
                var from = ParseTime(Arg(d, "datetime1", 0));
                var to = ParseTime(Arg(d, "datetime2", 1));
                return from < to ? new TimePredicate(time, from, to) : throw new RouteDefinitionException($"Between: {from:O} must be before {to:O}");
            case "REMOTEADDR":
                return new RemoteAddrPredicate(Required(d.All(), d).Select(ParseNetwork).ToArray(), fromForwardedFor: false);
            case "XFORWARDEDREMOTEADDR":
                return new RemoteAddrPredicate(Required(d.All(), d).Select(ParseNetwork).ToArray(), fromForwardedFor: true);
            case "WEIGHT":
                var weightText = Arg(d, "weight", 1);
                return int.TryParse(weightText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var w) && w >= 0
                    ? new WeightPredicate(Arg(d, "group", 0), w)
                    : throw new RouteDefinitionException($"Weight: '{weightText}' is not a non-negative integer");
            default:
                throw new RouteDefinitionException($"unknown predicate '{d.Name}'; known predicates: {string.Join(", ", Names)}");
        }
    }

    private static List<string> Required(List<string> values, NamedArgs d) =>
        values.Count > 0 ? values : throw new RouteDefinitionException($"{d.Name}: at least one argument is required");

    internal static string Arg(NamedArgs d, string name, int position) =>
        d.Get(name, position) is { Length: > 0 } v ? v : throw new RouteDefinitionException($"{d.Name}: argument '{name}' (position {position + 1}) is required");

    internal static Regex? OptionalRegex(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return null;
        }
        try
        {
            // Java's String.matches: the whole value must match.
            return new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            throw new RouteDefinitionException($"'{pattern}' is not a valid regular expression: {ex.Message}", ex);
        }
    }

    /// <summary>Java's ZonedDateTime text (<c>2017-01-20T17:42:47.789-07:00[America/Denver]</c>) or epoch milliseconds.</summary>
    internal static DateTimeOffset ParseTime(string text)
    {
        var s = text.Trim();
        var bracket = s.IndexOf('[', StringComparison.Ordinal);
        if (bracket >= 0)
        {
            s = s[..bracket];
        }
        if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epochMs))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(epochMs);
        }
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t : throw new RouteDefinitionException($"'{text}' is not a date-time like 2017-01-20T17:42:47.789-07:00[America/Denver]");
    }

    private static IPNetwork ParseNetwork(string text)
    {
        var s = text.Contains('/', StringComparison.Ordinal) ? text : text + (text.Contains(':', StringComparison.Ordinal) ? "/128" : "/32");
        return IPNetwork.TryParse(s, out var n) ? n : throw new RouteDefinitionException($"RemoteAddr: '{text}' is not an IP address or CIDR range");
    }
}

internal sealed class PathPredicate(PathPattern[] patterns, bool matchTrailingSlash) : IRoutePredicate
{
    public PathPattern[] Patterns { get; } = patterns;

    public bool Matches(ref MatchContext context)
    {
        var path = context.Http.Request.Path.Value ?? "/";
        foreach (var p in Patterns)
        {
            if (p.IsMatch(path))
            {
                return true;
            }
        }
        return false;
    }

    public string Describe() => $"Paths: [{string.Join(", ", Patterns.Select(p => p.Pattern))}], match trailing slash: {(matchTrailingSlash ? "true" : "false")}";
}

internal sealed class MethodPredicate(string[] methods) : IRoutePredicate
{
    public bool Matches(ref MatchContext context)
    {
        var m = context.Http.Request.Method;
        foreach (var allowed in methods)
        {
            if (string.Equals(m, allowed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    public string Describe() => $"Methods: [{string.Join(", ", methods)}]";
}

/// <summary>Spring's Ant-style host patterns with '.' as separator: <c>**.example.org</c>, <c>{sub}.example.org</c>.</summary>
internal sealed class HostPredicate : IRoutePredicate
{
    private readonly List<string> _patterns;
    private readonly Regex[] _regexes;

    public HostPredicate(List<string> patterns)
    {
        _patterns = patterns;
        _regexes = patterns.Select(ToRegex).ToArray();
    }

    private static Regex ToRegex(string pattern)
    {
        var parts = pattern.Split('.');
        var sb = new System.Text.StringBuilder("^");
        for (var i = 0; i < parts.Length; i++)
        {
            var p = parts[i];
            var last = i == parts.Length - 1;
            if (p == "**")
            {
                // Zero or more labels, each followed by its dot.
                sb.Append(last ? ".*" : "(?:[^.]+\\.)*");
                continue;
            }
            foreach (var c in p)
            {
                sb.Append(c switch { '*' => "[^.]*", '?' => "[^.]", _ => Regex.Escape(c.ToString()) });
            }
            if (!last)
            {
                sb.Append("\\.");
            }
        }
        sb.Append('$');
        var text = Regex.Replace(sb.ToString(), @"\\\{(\w+)}", "(?<$1>[^.]+)");
        return new Regex(text, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    public bool Matches(ref MatchContext context)
    {
        var host = context.Http.Request.Host.Host;
        foreach (var r in _regexes)
        {
            if (r.IsMatch(host))
            {
                return true;
            }
        }
        return false;
    }

    public string Describe() => $"Hosts: [{string.Join(", ", _patterns)}]";
}

internal sealed class HeaderPredicate(string header, Regex? regex) : IRoutePredicate
{
    public bool Matches(ref MatchContext context)
    {
        var values = context.Http.Request.Headers[header];
        if (values.Count == 0)
        {
            return false;
        }
        if (regex is null)
        {
            return true;
        }
        foreach (var v in values)
        {
            if (v is not null && regex.IsMatch(v))
            {
                return true;
            }
        }
        return false;
    }

    public string Describe() => $"Header: {header} regexp={regex}";
}

internal sealed class QueryPredicate(string param, Regex? regex) : IRoutePredicate
{
    public bool Matches(ref MatchContext context)
    {
        if (!context.Http.Request.Query.TryGetValue(param, out var values))
        {
            return false;
        }
        if (regex is null)
        {
            return true;
        }
        foreach (var v in values)
        {
            if (v is not null && regex.IsMatch(v))
            {
                return true;
            }
        }
        return false;
    }

    public string Describe() => $"Query: param={param} regexp={regex}";
}

internal sealed class CookiePredicate(string name, Regex regex) : IRoutePredicate
{
    public bool Matches(ref MatchContext context) =>
        context.Http.Request.Cookies.TryGetValue(name, out var v) && regex.IsMatch(v);

    public string Describe() => $"Cookie: name={name} regexp={regex}";
}

internal sealed class TimePredicate(TimeProvider time, DateTimeOffset? after, DateTimeOffset? before) : IRoutePredicate
{
    public bool Matches(ref MatchContext context)
    {
        var now = time.GetUtcNow();
        return (after is null || now > after) && (before is null || now < before);
    }

    public string Describe() => (after, before) switch
    {
        ({ } a, { } b) => $"Between: {a:O} and {b:O}",
        ({ } a, null) => $"After: {a:O}",
        _ => $"Before: {before:O}",
    };
}

internal sealed class RemoteAddrPredicate(IPNetwork[] networks, bool fromForwardedFor) : IRoutePredicate
{
    public bool Matches(ref MatchContext context)
    {
        IPAddress? address;
        if (fromForwardedFor)
        {
            // The right-most X-Forwarded-For entry: the one added by the proxy in front of us (Spring's maxTrustedIndex 1).
            var xff = context.Http.Request.Headers["X-Forwarded-For"].ToString();
            var comma = xff.LastIndexOf(',');
            if (!IPAddress.TryParse(xff.AsSpan(comma + 1).Trim(), out address))
            {
                return false;
            }
        }
        else
        {
            address = context.Http.Connection.RemoteIpAddress;
        }
        if (address is null)
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        foreach (var n in networks)
        {
            if (n.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    public string Describe() => $"{(fromForwardedFor ? "XForwardedRemoteAddrs" : "RemoteAddrs")}: [{string.Join(", ", networks)}]";
}

/// <summary>
/// Routes of one group split the traffic by weight: each request draws one number per group (in <see cref="MatchContext"/>)
/// and the route whose slice holds it matches. The route table assigns the slices when it is built.
/// </summary>
internal sealed class WeightPredicate(string group, int weight) : IRoutePredicate
{
    public string Group { get; } = group;

    public int Weight { get; } = weight;

    public int GroupIndex { get; set; } = -1;

    public double From { get; set; }

    public double To { get; set; }

    public bool Matches(ref MatchContext context)
    {
        ref var draw = ref context.WeightDraws[GroupIndex];
        if (double.IsNaN(draw))
        {
            draw = Random.Shared.NextDouble();
        }
        return draw >= From && draw < To;
    }

    public string Describe() => $"Weight: {Group} {Weight}";
}
