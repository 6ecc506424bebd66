using Infrastructure.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server.Configuration;

/// <summary>
/// Hands the configuration warnings to the shared <see cref="SettingsWarnings"/> when the server starts (logged once each,
/// listed in <c>/actuator/health</c>), including keys it does not know (ignored by the binder).
/// </summary>
internal sealed class AuthConfigurationReport(
    AuthOptionsValidator validator,
    IOptions<AuthOptions> options,
    IConfiguration configuration,
    IHostEnvironment environment,
    SettingsWarnings settingsWarnings) : IHostedService
{
    // Bound to their own options classes, not to AuthOptions.
    private static readonly string[] OtherSections = ["SigningKeys", "Postgres", "Authority"];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var section = configuration.GetSection(AuthOptions.SectionName);
        var unknown = ConfigurationShape.UnknownKeys(section, typeof(AuthOptions)).Where(w => !OtherSections.Any(s => w.StartsWith($"{AuthOptions.SectionName}:{s}", StringComparison.OrdinalIgnoreCase)));
        foreach (var warning in validator.Check(options.Value).Warnings.Concat(unknown))
        {
            settingsWarnings.Add(SettingsWarning.FromText(warning));
        }
        if (options.Value.PlaintextSecrets == true && !environment.IsDevelopment())
        {
            settingsWarnings.Add(SettingsWarning.FromText("Auth:PlaintextSecrets is true outside Development, so the secrets sit in the configuration as plaintext"));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
