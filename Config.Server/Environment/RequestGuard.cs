namespace Infrastructure.Config.Server.Environment;

/// <summary>
/// Refuses names that could escape a search location or a git tree: every path-shaped request value goes through here.
/// Values are checked as received and once more percent-decoded (up to three times), as Spring's <c>isInvalidEncodedPath</c>
/// does, so a double-encoded <c>..%252F</c> is refused like <c>../</c>.
/// </summary>
internal static class RequestGuard
{
    /// <summary>Throws <see cref="BadConfigRequestException"/> when an application or profile could walk outside a folder.</summary>
    public static void CheckSegment(string what, string value)
    {
        if (string.IsNullOrWhiteSpace(value) || AnyForm(value, v => v.Contains("..", StringComparison.Ordinal) || v.IndexOfAny(['/', '\\', ':']) >= 0 || HasControl(v)))
        {
            throw new BadConfigRequestException($"Invalid {what} '{Printable(value)}': path segments, '..', ':' and control characters are not allowed");
        }
    }

    /// <summary>
    /// Decodes a label (Spring writes its '/' as <c>(_)</c>) and checks it: a branch, tag or commit, or folders under a
    /// <c>{label}</c> location — so no '..', '\', ':', control characters, and no leading, trailing or doubled '/'.
    /// </summary>
    public static string CheckLabel(string label)
    {
        var decoded = DecodeLabel(label);
        if (decoded.Length == 0 || AnyForm(decoded, v => v.Contains("..", StringComparison.Ordinal) || v.IndexOfAny(['\\', ':']) >= 0 || HasControl(v)
            || v.StartsWith('/') || v.EndsWith('/') || v.Contains("//", StringComparison.Ordinal)))
        {
            throw new BadConfigRequestException($"Invalid label '{Printable(label)}': '..', '\\', ':', control characters and empty or absolute paths are not allowed");
        }
        return decoded;
    }

    /// <summary>Checks a relative file path (plain text requests, git search paths): no '..' or '.' segments, not rooted, no ':' or control characters.</summary>
    public static string CheckRelativePath(string path)
    {
        var p = path.Replace('\\', '/');
        if (p.Length == 0 || AnyForm(p, v =>
            {
                var s = v.Replace('\\', '/');
                return s.StartsWith('/') || s.Contains(':', StringComparison.Ordinal) || HasControl(s) || Path.IsPathRooted(s) || s.Split('/').Any(x => x is ".." or ".");
            }))
        {
            throw new BadConfigRequestException($"Invalid path '{Printable(path)}': '..', absolute paths, ':' and control characters are not allowed");
        }
        return p;
    }

    /// <summary>Spring writes a '/' in a label as <c>(_)</c> in URLs.</summary>
    public static string DecodeLabel(string label) => label.Replace("(_)", "/", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="bad"/> holds for the value or for any of its percent-decoded forms.</summary>
    private static bool AnyForm(string value, Func<string, bool> bad)
    {
        var v = value;
        for (var i = 0; i < 4; i++)
        {
            if (bad(v))
            {
                return true;
            }
            if (!v.Contains('%', StringComparison.Ordinal))
            {
                return false;
            }
            var decoded = Uri.UnescapeDataString(v);
            if (decoded == v)
            {
                return false;
            }
            v = decoded;
        }
        // Still encoded after three rounds: nobody names a file like that.
        return true;
    }

    private static bool HasControl(string v) => v.Any(char.IsControl);

    // The message is echoed in the error body and the log: no control characters in either.
    private static string Printable(string v) => HasControl(v) ? string.Concat(v.Select(c => char.IsControl(c) ? '?' : c)) : v;
}
