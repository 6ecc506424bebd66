namespace Infrastructure.Discovery.Server.Replication;

/// <summary>Peer URLs under <c>Eureka:Client</c>, as Spring's <c>eureka.client.service-url.defaultZone</c>.</summary>
public sealed class PeerOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Eureka:Client";

    /// <summary>Zone → comma-separated Eureka URLs, e.g. <c>DefaultZone = http://127.0.0.1:8762/eureka/,http://127.0.0.1:8763/eureka/</c>. Default: none (standalone).</summary>
    public Dictionary<string, string> ServiceUrl { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>All configured peer URLs, normalised with a trailing slash; invalid entries are reported by validation.</summary>
    public IReadOnlyList<Uri> PeerUrls() =>
        ServiceUrl.Values
            .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Select(u => Uri.TryCreate(u.EndsWith('/') ? u : u + "/", UriKind.Absolute, out var uri) ? uri : null)
            .OfType<Uri>()
            .Distinct()
            .ToList();

    /// <summary>Entries that are not absolute http(s) URLs.</summary>
    public IEnumerable<string> InvalidUrls() =>
        ServiceUrl.Values
            .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps));
}
