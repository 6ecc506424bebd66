using System.Text;
using System.Text.RegularExpressions;

namespace Infrastructure.Gateway.Routing;

/// <summary>
/// Spring's <c>PathPattern</c> syntax: literal segments, <c>?</c> and <c>*</c> inside a segment, <c>**</c> for zero or more
/// segments, <c>{name}</c> / <c>{name:regex}</c> capturing a segment and <c>{*name}</c> capturing the rest of the path.
/// Matching walks the path without allocating; variables are only collected when asked for.
/// </summary>
internal sealed class PathPattern
{
    private readonly Segment[] _segments;
    private readonly bool _matchTrailingSlash;

    public PathPattern(string pattern, bool matchTrailingSlash = true)
    {
        if (!pattern.StartsWith('/'))
        {
            pattern = "/" + pattern;
        }
        Pattern = pattern;
        _matchTrailingSlash = matchTrailingSlash;
        var parts = pattern == "/" ? [] : pattern[1..].Split('/');
        _segments = new Segment[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            _segments[i] = Segment.Parse(parts[i], pattern);
            if (_segments[i].Kind == SegmentKind.Rest && _segments[i].Name is not null && i != parts.Length - 1)
            {
                throw new RouteDefinitionException($"path pattern '{pattern}': '{parts[i]}' is only allowed at the end");
            }
        }
    }

    public string Pattern { get; }

    public bool IsMatch(ReadOnlySpan<char> path) => Match(0, path, null);

    /// <summary>Matches and fills <paramref name="variables"/> with the captured <c>{name}</c> values.</summary>
    public bool TryMatch(ReadOnlySpan<char> path, Dictionary<string, string> variables) => Match(0, path, variables);

    private bool Match(int index, ReadOnlySpan<char> path, Dictionary<string, string>? vars)
    {
        if (index == _segments.Length)
        {
            return path.IsEmpty || (_matchTrailingSlash && path is "/");
        }
        var segment = _segments[index];
        if (segment.Kind is SegmentKind.Rest)
        {
            // "/**" and "{*rest}" also match the path without the trailing part ("/api/**" matches "/api").
            if (index == _segments.Length - 1)
            {
                if (vars is not null && segment.Name is not null)
                {
                    vars[segment.Name] = path.ToString();
                }
                return true;
            }
            for (var i = 0; i <= path.Length; i++)
            {
                if ((i == path.Length || path[i] == '/') && Match(index + 1, path[i..], vars))
                {
                    return true;
                }
            }
            return false;
        }
        if (path.IsEmpty || path[0] != '/')
        {
            return false;
        }
        var rest = path[1..];
        var end = rest.IndexOf('/');
        var text = end < 0 ? rest : rest[..end];
        var remaining = end < 0 ? [] : rest[end..];
        return segment.Matches(text, vars) && Match(index + 1, remaining, vars);
    }

    public override string ToString() => Pattern;

    private enum SegmentKind { Literal, Capture, Regex, Rest }

    private sealed class Segment
    {
        public SegmentKind Kind { get; private init; }
        public string Text { get; private init; } = "";
        public string? Name { get; private init; }
        public Regex? Regex { get; private init; }

        public static Segment Parse(string s, string pattern)
        {
            if (s == "**")
            {
                return new Segment { Kind = SegmentKind.Rest };
            }
            if (s.StartsWith("{*", StringComparison.Ordinal) && s.EndsWith('}'))
            {
                return new Segment { Kind = SegmentKind.Rest, Name = s[2..^1] };
            }
            if (s.Length > 2 && s[0] == '{' && s[^1] == '}' && s.IndexOf('{', 1) < 0 && !s.Contains(':', StringComparison.Ordinal))
            {
                return new Segment { Kind = SegmentKind.Capture, Name = s[1..^1] };
            }
            if (s.AsSpan().IndexOfAny("*?{") < 0)
            {
                return new Segment { Kind = SegmentKind.Literal, Text = s };
            }
            return new Segment { Kind = SegmentKind.Regex, Regex = ToRegex(s, pattern) };
        }

        private static Regex ToRegex(string s, string pattern)
        {
            var sb = new StringBuilder("^");
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (c == '*')
                {
                    sb.Append("[^/]*");
                }
                else if (c == '?')
                {
                    sb.Append("[^/]");
                }
                else if (c == '{')
                {
                    var close = FindClose(s, i);
                    if (close < 0)
                    {
                        throw new RouteDefinitionException($"path pattern '{pattern}': unclosed '{{' in '{s}'");
                    }
                    var body = s[(i + 1)..close];
                    var colon = body.IndexOf(':', StringComparison.Ordinal);
                    var name = colon < 0 ? body : body[..colon];
                    var regex = colon < 0 ? "[^/]+" : body[(colon + 1)..];
                    sb.Append("(?<").Append(name).Append('>').Append(regex).Append(')');
                    i = close;
                }
                else
                {
                    sb.Append(System.Text.RegularExpressions.Regex.Escape(c.ToString()));
                }
            }
            sb.Append('$');
            try
            {
                return new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                throw new RouteDefinitionException($"path pattern '{pattern}': {ex.Message}", ex);
            }
        }

        private static int FindClose(string s, int open)
        {
            var depth = 0;
            for (var i = open; i < s.Length; i++)
            {
                if (s[i] == '{')
                {
                    depth++;
                }
                else if (s[i] == '}' && --depth == 0)
                {
                    return i;
                }
            }
            return -1;
        }

        public bool Matches(ReadOnlySpan<char> text, Dictionary<string, string>? vars)
        {
            switch (Kind)
            {
                case SegmentKind.Literal:
                    return text.SequenceEqual(Text);
                case SegmentKind.Capture:
                    if (text.IsEmpty)
                    {
                        return false;
                    }
                    if (vars is not null)
                    {
                        vars[Name!] = text.ToString();
                    }
                    return true;
                default:
                    if (vars is null)
                    {
                        return Regex!.IsMatch(text);
                    }
                    var m = Regex!.Match(text.ToString());
                    if (!m.Success)
                    {
                        return false;
                    }
                    foreach (var g in Regex.GetGroupNames())
                    {
                        if (!int.TryParse(g, out _))
                        {
                            vars[g] = m.Groups[g].Value;
                        }
                    }
                    return true;
            }
        }
    }
}
