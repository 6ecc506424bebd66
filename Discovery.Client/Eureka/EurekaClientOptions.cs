using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Discovery.Client.Eureka;

/// <summary>Settings of the Eureka client under <c>Eureka:Client</c> (Steeltoe's names).</summary>
public sealed class EurekaClientOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Eureka:Client";

    /// <summary>
    /// Comma-separated Eureka server URLs, e.g. <c>http://127.0.0.1:8761/eureka/</c> (tried in order, with failover).
    /// Spring's <c>Eureka:Client:ServiceUrl:DefaultZone</c> is read when this is empty. Default: none (Eureka off).
    /// Read from configuration by hand (not bound), because the key may be a value and a section at once.
    /// </summary>
    public string? ServiceUrl { get; internal set; }

    /// <summary>Turns the Eureka client off even when server URLs are configured (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Whether this application registers itself (default true).</summary>
    public bool ShouldRegisterWithEureka { get; set; } = true;

    /// <summary>Whether this application keeps a local copy of the registry (default true).</summary>
    public bool ShouldFetchRegistry { get; set; } = true;

    /// <summary>Seconds between delta fetches of the registry (default 30).</summary>
    [Range(1, 3600)]
    public int RegistryFetchIntervalSeconds { get; set; } = 30;

    /// <summary>Always fetch the full registry instead of deltas (default false).</summary>
    public bool ShouldDisableDelta { get; set; }

    /// <summary>Seconds to wait for a connection to a Eureka server before failing over to the next (default 5).</summary>
    [Range(1, 300)]
    public int EurekaServerConnectTimeoutSeconds { get; set; } = 5;

    /// <summary>Seconds a whole request to a Eureka server may take (default 30; a full fetch of a big registry is slow).</summary>
    [Range(1, 600)]
    public int EurekaServerReadTimeoutSeconds { get; set; } = 30;

    /// <summary>The parsed server base URLs (each ending in <c>/</c>); filled from <see cref="ServiceUrl"/>.</summary>
    internal IReadOnlyList<Uri> ServiceUrls { get; set; } = [];

    /// <summary>Entries of <see cref="ServiceUrl"/> that are not absolute http(s) URLs (reported by validation).</summary>
    internal IReadOnlyList<string> InvalidServiceUrls { get; set; } = [];

    /// <summary>Whether Eureka is in use: enabled and at least one server URL configured.</summary>
    internal bool IsActive => Enabled && ServiceUrls.Count > 0;

    /// <summary>Splits a comma-separated URL list; returns the invalid entries in <paramref name="invalid"/>.</summary>
    internal static List<Uri> ParseServiceUrls(string? value, List<string> invalid)
    {
        var result = new List<Uri>();
        foreach (var part in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Uri.TryCreate(part, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                // Relative paths ("apps/X") must resolve under the configured base, so it needs a trailing slash.
                result.Add(uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/"));
            }
            else
            {
                invalid.Add(part);
            }
        }
        return result;
    }
}
