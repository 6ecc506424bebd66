namespace Infrastructure.Config.Server.Native;

/// <summary>
/// Where a path really leads once symbolic links are followed, so that a link inside a search location cannot serve a
/// file from outside it: the text of a path says nothing about where its links point.
/// </summary>
internal static class RealPath
{
    /// <summary>Links followed before giving up, as Linux's limit for one lookup (ELOOP).</summary>
    private const int MaxLinks = 40;

    private static readonly char[] Separators = [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar];

    /// <summary>
    /// The path with every symbolic link resolved — in any folder along it, not only its last part — and each <c>..</c>
    /// applied after the link before it was resolved, as realpath(3) does. Null when a part does not exist, a link is
    /// broken, or links loop. <see cref="FileSystemInfo.ResolveLinkTarget(bool)"/> alone would resolve only the last part.
    /// </summary>
    public static string? Resolve(string path)
    {
        var full = Path.IsPathFullyQualified(path) ? path : Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(Parts(full[root.Length..]).Reverse());
        var resolved = new List<string>();
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }
                continue;
            }
            var current = Join(root, resolved, part);
            string? target;
            try
            {
                target = new FileInfo(current).LinkTarget;
            }
            catch (IOException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
            if (target is null)
            {
                if (!Path.Exists(current))
                {
                    return null;
                }
                resolved.Add(part);
                continue;
            }
            if (++links > MaxLinks)
            {
                return null;
            }
            // The target replaces this part: relative to the folder holding the link, or from a root of its own.
            if (Path.IsPathRooted(target))
            {
                root = Path.GetPathRoot(target)!;
                resolved.Clear();
                target = target[root.Length..];
            }
            foreach (var p in Parts(target).Reverse())
            {
                pending.Push(p);
            }
        }
        return Join(root, resolved, null);
    }

    /// <summary>Whether <paramref name="realPath"/> (resolved) is <paramref name="realFolder"/> (resolved) or lies under it.</summary>
    public static bool IsUnder(string realPath, string realFolder)
    {
        var folder = realFolder.TrimEnd(Separators);
        return realPath.Length > folder.Length
            ? realPath.StartsWith(folder, StringComparison.Ordinal) && Separators.Contains(realPath[folder.Length])
            : realPath == folder;
    }

    private static IEnumerable<string> Parts(string path) => path.Split(Separators, StringSplitOptions.RemoveEmptyEntries);

    private static string Join(string root, List<string> parts, string? last)
    {
        var all = last is null ? parts : [.. parts, last];
        return all.Count == 0 ? root : root + string.Join(Path.DirectorySeparatorChar, all);
    }
}
