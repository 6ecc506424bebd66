using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Infrastructure.Config.Client;

/// <summary>Settings under <c>Spring:Cloud:Config</c> (Steeltoe's and Spring's names), read once when the provider is added.</summary>
public sealed class ConfigServerClientSettings
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Spring:Cloud:Config";

    /// <summary>Comma-separated server URIs tried in order (failover). Default <c>http://localhost:8888</c>.</summary>
    public IReadOnlyList<Uri> Uris { get; set; } = [new("http://localhost:8888/")];

    /// <summary>Application name: <c>Spring:Cloud:Config:Name</c>, else <c>Spring:Application:Name</c>, else the host's application name.</summary>
    public string Name { get; set; } = "application";

    /// <summary>Comma-separated profiles: <c>:Env</c> (Steeltoe) or <c>:Profile</c> (Spring), else the environment name lowercased.</summary>
    public string Profile { get; set; } = "default";

    /// <summary>Label (branch, tag, commit); null lets the server choose.</summary>
    public string? Label { get; set; }

    /// <summary>Throw at start when no server answers (<c>:FailFast</c>). Default false: log, use the disk cache, keep going.</summary>
    public bool FailFast { get; set; }

    /// <summary>HTTP basic user (<c>:Username</c>); also taken from the URI's user info.</summary>
    public string? Username { get; set; }

    /// <summary>HTTP basic password (<c>:Password</c>).</summary>
    public string? Password { get; set; }

    /// <summary>Bearer token (<c>:Token</c>) sent instead of basic credentials.</summary>
    public string? Token { get; set; }

    /// <summary>Per-request timeout in milliseconds (<c>:Timeout</c>). Default 6000.</summary>
    public int TimeoutMs { get; set; } = 6000;

    /// <summary>Retry at start (<c>:Retry:Enabled</c>). Default false (one pass over the URIs), true when FailFast is set and Retry:Enabled is absent, as Spring.</summary>
    public bool RetryEnabled { get; set; }

    /// <summary>First retry delay in ms (<c>:Retry:InitialInterval</c>). Default 1000.</summary>
    public int RetryInitialIntervalMs { get; set; } = 1000;

    /// <summary>Largest retry delay in ms (<c>:Retry:MaxInterval</c>). Default 2000.</summary>
    public int RetryMaxIntervalMs { get; set; } = 2000;

    /// <summary>Delay multiplier (<c>:Retry:Multiplier</c>). Default 1.1.</summary>
    public double RetryMultiplier { get; set; } = 1.1;

    /// <summary>Attempts in all (<c>:Retry:MaxAttempts</c>). Default 6.</summary>
    public int RetryMaxAttempts { get; set; } = 6;

    /// <summary>Subscribe to the server's <c>/monitor/events</c> and reload on a matching event (<c>:Watch:Enabled</c>). Default true.</summary>
    public bool WatchEnabled { get; set; } = true;

    /// <summary>Fallback poll period in seconds (<c>:PollInterval</c>); 0 turns polling off. Default 30.</summary>
    public int PollIntervalSeconds { get; set; } = 30;

    /// <summary>Folder for the last fetched copy (<c>:CacheDirectory</c>); empty turns the cache off. Default a folder under the temp directory.</summary>
    public string? CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "config-client-cache");

    /// <summary>The profiles as a list.</summary>
    public IReadOnlyList<string> Profiles => Profile.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Reads the settings from configuration, with the host's environment and application names as defaults.</summary>
    public static ConfigServerClientSettings From(IConfiguration configuration, string? environmentName, string? applicationName)
    {
        var c = configuration.GetSection(Section);
        var s = new ConfigServerClientSettings();
        if (c["Uri"] is { Length: > 0 } uris)
        {
            s.Uris = uris.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(u => new Uri(u.EndsWith('/') ? u : u + "/"))
                .ToList();
        }
        s.Name = First(c["Name"], configuration["Spring:Application:Name"], applicationName) ?? "application";
        s.Profile = First(c["Env"], c["Profile"], environmentName?.ToLowerInvariant()) ?? "default";
        s.Label = First(c["Label"]);
        s.FailFast = Bool(c["FailFast"], false);
        s.Username = First(c["Username"]);
        s.Password = First(c["Password"]);
        s.Token = First(c["Token"]);
        s.TimeoutMs = Int(c["Timeout"], s.TimeoutMs);
        s.RetryEnabled = Bool(c["Retry:Enabled"], s.FailFast);
        s.RetryInitialIntervalMs = Int(c["Retry:InitialInterval"], s.RetryInitialIntervalMs);
        s.RetryMaxIntervalMs = Int(c["Retry:MaxInterval"], s.RetryMaxIntervalMs);
        s.RetryMultiplier = c["Retry:Multiplier"] is { } m && double.TryParse(m, NumberStyles.Float, CultureInfo.InvariantCulture, out var mv) ? mv : s.RetryMultiplier;
        s.RetryMaxAttempts = Int(c["Retry:MaxAttempts"], s.RetryMaxAttempts);
        s.WatchEnabled = Bool(c["Watch:Enabled"], true);
        s.PollIntervalSeconds = Int(c["PollInterval"], s.PollIntervalSeconds);
        if (c["CacheDirectory"] is { } cache)
        {
            s.CacheDirectory = cache;
        }
        return s;
    }

    private static string? First(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private static bool Bool(string? v, bool fallback) => bool.TryParse(v, out var b) ? b : fallback;

    private static int Int(string? v, int fallback) => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : fallback;
}
