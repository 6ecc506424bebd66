using Infrastructure.ServiceDefaults.Options;

namespace Infrastructure.Discovery.Server.Replication;

/// <summary>Peer URLs under <c>Eureka:Client</c>, as Spring's <c>eureka.client.service-url.defaultZone</c>.</summary>
public sealed class PeerOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Eureka:Client";

    /// <summary>Zone → comma-separated Eureka URLs, e.g. <c>DefaultZone = http://127.0.0.1:8762/eureka/,http://127.0.0.1:8763/eureka/</c>. Default: none (standalone).</summary>
    public Dictionary<string, string> ServiceUrl { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>All configured peer URLs, normalised with a trailing slash; entries that are not absolute http(s) URLs are skipped (see <see cref="InvalidUrls"/>).</summary>
    public IReadOnlyList<Uri> PeerUrls() =>
        ServiceUrl.Values
            .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(IsHttpUrl)
            .Select(u => new Uri(u.EndsWith('/') ? u : u + "/", UriKind.Absolute))
            .Distinct()
            .ToList();

    /// <summary>Entries that are not absolute http(s) URLs.</summary>
    public IEnumerable<string> InvalidUrls() =>
        ServiceUrl.Values
            .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(u => !IsHttpUrl(u));

    /// <summary>
    /// Warns about each entry that is not an absolute http(s) URL: it is skipped, as Spring's <c>PeerEurekaNodes</c> logs
    /// and skips it. Only the key and the entry's position are named, since a URL may carry a password.
    /// </summary>
    public static IEnumerable<string> Check(PeerOptions o, SettingsWarnings warnings)
    {
        foreach (var (zone, value) in o.ServiceUrl)
        {
            var entries = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < entries.Length; i++)
            {
                if (!IsHttpUrl(entries[i]))
                {
                    // An environment variable spells the zone in upper case; name it as the documentation does.
                    var name = zone.Equals("DefaultZone", StringComparison.OrdinalIgnoreCase) ? "DefaultZone" : zone;
                    warnings.Add($"{Section}:ServiceUrl:{name}", $"(entry {i + 1} of {entries.Length})",
                        "skipped: it is not an absolute http(s) URL, so this node neither replicates to it nor syncs from it",
                        "Spring's PeerEurekaNodes logs such a URL and skips it");
                }
            }
        }
        return [];
    }

    private static bool IsHttpUrl(string u) =>
        Uri.TryCreate(u, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
