using Microsoft.Extensions.Configuration;

namespace Infrastructure.ServiceDefaults.Telemetry;

/// <summary>
/// Spring Boot's <c>management.metrics.enable.*</c> as <c>Metrics:Enable:{prefix}</c>: an instrument is dropped when the
/// longest dot-separated prefix of its name that has an entry says <c>false</c>; <c>all</c> is the fallback. A dropped
/// instrument is never listened to, so the code that reports it skips the measurement entirely.
/// </summary>
public sealed class MetricsEnablement
{
    private readonly Dictionary<string, bool> _entries;

    private MetricsEnablement(Dictionary<string, bool> entries) => _entries = entries;

    /// <summary>True when no entry is configured: every instrument stays on.</summary>
    public bool IsEmpty => _entries.Count == 0;

    /// <summary>Reads <c>Metrics:Enable</c>; a value that is not a boolean stops the start with the key named.</summary>
    public static MetricsEnablement FromConfiguration(IConfiguration configuration)
    {
        var entries = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var child in configuration.GetSection("Metrics:Enable").GetChildren())
        {
            if (!bool.TryParse(child.Value, out var enabled))
            {
                throw new InvalidOperationException(
                    $"Metrics:Enable:{child.Key} must be true or false, not '{child.Value}'.");
            }
            entries[child.Key] = enabled;
        }
        return new MetricsEnablement(entries);
    }

    /// <summary>Whether the instrument called <paramref name="instrumentName"/> (e.g. <c>http.client.request.duration</c>) is recorded.</summary>
    public bool IsEnabled(string instrumentName)
    {
        var name = instrumentName;
        while (name.Length > 0)
        {
            if (_entries.TryGetValue(name, out var enabled))
            {
                return enabled;
            }
            var dot = name.LastIndexOf('.');
            name = dot >= 0 ? name[..dot] : "";
        }
        return !_entries.TryGetValue("all", out var all) || all;
    }
}
