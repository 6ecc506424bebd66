namespace Infrastructure.Config.Server.Environment;

/// <summary>A configuration file a file-based backend found: its display name (the property source name) and documents.</summary>
internal sealed record LoadedFile(string DisplayName, IReadOnlyList<ParsedDocument> Documents);

/// <summary>
/// Spring's search order over files named after the application and profiles, shared by the native and git backends:
/// for each profile, last first: <c>{app}-{profile}</c>, <c>application-{profile}</c>; then <c>{app}</c>, <c>application</c>.
/// Within a name, <c>.properties</c> outranks <c>.yml</c>/<c>.yaml</c>/<c>.json</c>; within a yaml file, documents activated by
/// an active profile (<c>spring.config.activate.on-profile</c> / <c>spring.profiles</c>) outrank its plain documents.
/// </summary>
internal static class FileEnvironmentBuilder
{
    /// <summary>The base names to look for, most specific first.</summary>
    public static IEnumerable<string> CandidateNames(string application, IReadOnlyList<string> profiles)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = profiles.Count - 1; i >= 0; i--)
        {
            var p = profiles[i];
            if (p == "default")
            {
                continue;
            }
            foreach (var n in new[] { application + "-" + p, "application-" + p })
            {
                if (seen.Add(n))
                {
                    yield return n;
                }
            }
        }
        foreach (var n in new[] { application, "application" })
        {
            if (seen.Add(n))
            {
                yield return n;
            }
        }
    }

    /// <summary>Builds the property sources, calling <paramref name="find"/> for each candidate base name (it returns the files found, in precedence order).</summary>
    public static async Task<List<PropertySource>> BuildAsync(
        string application, IReadOnlyList<string> profiles, Func<string, CancellationToken, Task<List<LoadedFile>>> find, CancellationToken ct)
    {
        var sources = new List<PropertySource>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in CandidateNames(application, profiles))
        {
            foreach (var file in await find(name, ct))
            {
                if (!seen.Add(file.DisplayName))
                {
                    continue;
                }
                var docs = file.Documents;
                // Activated documents: a later document outranks an earlier one, so list them last-first.
                for (var d = docs.Count - 1; d >= 0; d--)
                {
                    if (docs[d].ActivateOnProfile is { } on && ProfileMatches(on, profiles))
                    {
                        sources.Add(new PropertySource($"{file.DisplayName} (document #{d})", docs[d].Properties));
                    }
                }
                var plain = docs.Where(x => x.ActivateOnProfile is null).ToList();
                if (plain.Count == 1)
                {
                    sources.Add(new PropertySource(file.DisplayName, plain[0].Properties));
                }
                else if (plain.Count > 1)
                {
                    var merged = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var doc in plain)
                    {
                        foreach (var (k, v) in doc.Properties)
                        {
                            merged[k] = v;
                        }
                    }
                    sources.Add(new PropertySource(file.DisplayName, merged));
                }
            }
        }
        return sources;
    }

    /// <summary>Spring's profile expressions, simplified: comma or <c>|</c> separated alternatives, each optionally negated with <c>!</c>.</summary>
    internal static bool ProfileMatches(string expression, IReadOnlyList<string> active)
    {
        foreach (var raw in expression.Split([',', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var negate = raw.StartsWith('!');
            var p = negate ? raw[1..].Trim() : raw;
            if (active.Contains(p, StringComparer.Ordinal) != negate)
            {
                return true;
            }
        }
        return false;
    }
}
