namespace Infrastructure.Config.Server.Monitor;

/// <summary>Spring's <c>/monitor</c> rule for which services a changed file concerns: <c>application*</c> → <c>*</c>, <c>foo-dev.yml</c> → <c>foo:dev</c> and <c>foo-dev</c>.</summary>
internal static class ServiceNameGuesser
{
    public static IReadOnlyList<string> Guess(IEnumerable<string> paths)
    {
        var result = new List<string>();
        void Add(string s)
        {
            if (!result.Contains(s, StringComparer.Ordinal))
            {
                result.Add(s);
            }
        }
        foreach (var path in paths)
        {
            var stem = Path.GetFileNameWithoutExtension(path.Replace('\\', '/').Split('/')[^1]);
            if (stem.Length == 0)
            {
                continue;
            }
            for (var i = stem.IndexOf('-', StringComparison.Ordinal); i > 0; i = stem.IndexOf('-', i + 1))
            {
                var name = stem[..i];
                var profile = stem[(i + 1)..];
                if (name == "application")
                {
                    Add("*:" + profile);
                }
                else if (!name.StartsWith("application", StringComparison.Ordinal))
                {
                    Add(name + ":" + profile);
                }
            }
            if (stem == "application")
            {
                Add("*");
            }
            else if (!stem.StartsWith("application", StringComparison.Ordinal))
            {
                Add(stem);
            }
        }
        return result;
    }
}
