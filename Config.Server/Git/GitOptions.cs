using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Infrastructure.ServiceDefaults.Options;

namespace Infrastructure.Config.Server.Git;

/// <summary><c>ConfigServer:Git</c> (Spring's <c>spring.cloud.config.server.git</c>); setting <see cref="Uri"/> selects the git backend.</summary>
public sealed class GitOptions : IValidatableObject
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ConfigServer:Git";

    /// <summary>Repository to clone: a local path (bare or not), <c>file://</c> or <c>http(s)://</c> URL. No default.</summary>
    public string? Uri { get; set; }

    /// <summary>Branch, tag or commit served when a request has no label. Default <c>main</c> (falling back to <c>master</c> when there is no main, as Spring's <c>tryMasterBranch</c>).</summary>
    [Required(AllowEmptyStrings = false)]
    public string DefaultLabel { get; set; } = "main";

    /// <summary>Comma-separated folders inside the repository searched after its root; <c>{application}</c>, <c>{profile}</c>, <c>{label}</c> placeholders allowed. Default none.</summary>
    public string? SearchPaths { get; set; }

    /// <summary>Seconds between fetches from the remote: 0 (or less, as in Spring) fetches on every request (Spring's default); a positive value also polls in the background and publishes refresh events for new commits.</summary>
    public int RefreshRate { get; set; }

    /// <summary>Local folder for the clone. Default: a folder under the temp directory named after the URI.</summary>
    public string? Basedir { get; set; }

    /// <summary>HTTP basic user for the remote. Default none.</summary>
    public string? Username { get; set; }

    /// <summary>HTTP basic password for the remote. Default none.</summary>
    public string? Password { get; set; }

    /// <summary>Warnings for the values Spring accepts and we would not choose, under <paramref name="section"/>.</summary>
    public static IEnumerable<string> Check(GitOptions o, SettingsWarnings warnings, string section = Section)
    {
        if (o.RefreshRate < 0)
        {
            warnings.Add(section + ":RefreshRate", o.RefreshRate.ToString(CultureInfo.InvariantCulture),
                "read as 0: the remote is fetched on every request, and not polled in the background",
                "Spring fetches when refreshRate is not positive, so it behaves as 0 there too");
        }
        else if (o.RefreshRate > 86_400)
        {
            warnings.Add(section + ":RefreshRate", o.RefreshRate.ToString(CultureInfo.InvariantCulture),
                "used as given: new commits show up to that many seconds late", "Spring accepts any number of seconds");
        }
        return [];
    }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SearchPaths is not null && SearchPaths.Split(',').Any(p => p.Contains("..", StringComparison.Ordinal)))
        {
            yield return new ValidationResult("ConfigServer:Git:SearchPaths must not contain '..'", [nameof(SearchPaths)]);
        }
    }
}
