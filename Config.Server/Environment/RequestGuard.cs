namespace Infrastructure.Config.Server.Environment;

/// <summary>Refuses names that could escape a search location.</summary>
internal static class RequestGuard
{
    /// <summary>Throws <see cref="BadConfigRequestException"/> when a name segment could walk outside a folder.</summary>
    public static void CheckSegment(string what, string value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Contains("..", StringComparison.Ordinal)
            || value.IndexOfAny(['/', '\\', '\0', ':']) >= 0)
        {
            throw new BadConfigRequestException($"Invalid {what} '{value}': path segments, '..' and ':' are not allowed");
        }
    }

    /// <summary>Checks a relative file path (plain text requests, git search paths): no '..' segments, not rooted.</summary>
    public static string CheckRelativePath(string path)
    {
        var p = path.Replace('\\', '/').TrimStart('/');
        if (p.Length == 0 || p.Contains('\0', StringComparison.Ordinal) || Path.IsPathRooted(p)
            || p.Split('/').Any(s => s is ".." or "."))
        {
            throw new BadConfigRequestException($"Invalid path '{path}': '..' and absolute paths are not allowed");
        }
        return p;
    }

    /// <summary>Spring writes a '/' in a label as <c>(_)</c> in URLs.</summary>
    public static string DecodeLabel(string label) => label.Replace("(_)", "/", StringComparison.Ordinal);
}
