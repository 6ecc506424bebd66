using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Infrastructure.ServiceDefaults.Options;

/// <summary>One configuration warning: the key it is about and one line of text that starts with that key.</summary>
public sealed record SettingsWarning(string Key, string Text)
{
    /// <summary>
    /// A value the mirrored system accepts and we take although we would not choose it: what we do with it and what the
    /// mirrored system does, e.g. <c>Gateway:CircuitBreakers:cb:RequestVolumeThreshold=1: ...; Hystrix ...</c>.
    /// </summary>
    public static SettingsWarning Accepted(string key, string value, string whatWeDo, string whatTheyDo) =>
        new(key, $"{key}={value}: {whatWeDo}; {whatTheyDo}");

    /// <summary>A warning written as one sentence that starts with its key (<c>Auth:Clients:0 (web): ...</c>).</summary>
    public static SettingsWarning FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var end = text.IndexOf(' ', StringComparison.Ordinal);
        return new SettingsWarning((end < 0 ? text : text[..end]).TrimEnd(':'), text);
    }
}

/// <summary>
/// The configuration warnings of this process, one shared place for every server: values accepted as the mirrored system
/// (Eureka, Spring Cloud, Hystrix, Ribbon, IdentityServer4) accepts them where we would be stricter. Each is logged once at
/// Warning level (one line naming the key), listed in <c>/actuator/health</c> under <c>components.settings.details.warnings</c>,
/// and shown on the servers' dashboards. Only a value nothing could use refuses the start.
/// </summary>
public sealed partial class SettingsWarnings
{
    private readonly Lock _gate = new();
    private readonly List<SettingsWarning> _all = [];
    private ILogger? _logger;

    /// <summary>Every warning so far, in the order they were first seen.</summary>
    public IReadOnlyList<SettingsWarning> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>Records <paramref name="warning"/> unless the same text was recorded before; logs it once the host has started.</summary>
    public void Add(SettingsWarning warning)
    {
        ArgumentNullException.ThrowIfNull(warning);
        ILogger? logger;
        lock (_gate)
        {
            // Options are validated again on every reload; the same finding is one warning.
            if (_all.Any(w => w.Text == warning.Text))
            {
                return;
            }
            _all.Add(warning);
            logger = _logger;
        }
        if (logger is not null)
        {
            LogWarningCore(logger, warning.Text);
        }
    }

    /// <summary>Records a value accepted as the mirrored system accepts it; see <see cref="SettingsWarning.Accepted"/>.</summary>
    public void Add(string key, string value, string whatWeDo, string whatTheyDo) => Add(SettingsWarning.Accepted(key, value, whatWeDo, whatTheyDo));

    // Warnings found before the host's logging is running (options validated on start, registrations) are logged here.
    internal void Attach(ILogger logger)
    {
        SettingsWarning[] pending;
        lock (_gate)
        {
            if (_logger is not null)
            {
                return;
            }
            _logger = logger;
            pending = [.. _all];
        }
        foreach (var w in pending)
        {
            LogWarningCore(logger, w.Text);
        }
    }

    // The text starts with the key, so the one line names it.
    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Configuration warning: {WarningText:l}")]
    private static partial void LogWarningCore(ILogger logger, string warningText);
}

/// <summary>Registration of <see cref="SettingsWarnings"/> and the checks that feed it.</summary>
public static class SettingsWarningsExtensions
{
    /// <summary>Name of the <c>/actuator/health</c> component listing the warnings.</summary>
    public const string HealthComponent = "settings";

    /// <summary>
    /// The process's <see cref="SettingsWarnings"/>, registered on first use. Usable while services are being registered
    /// (before the container exists), so a registration that reads configuration can warn too.
    /// </summary>
    public static SettingsWarnings SettingsWarnings(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.FirstOrDefault(d => d.ServiceType == typeof(SettingsWarnings) && !d.IsKeyedService)?.ImplementationInstance is SettingsWarnings existing)
        {
            return existing;
        }
        var warnings = new SettingsWarnings();
        services.AddSingleton(warnings);
        services.AddHostedService<SettingsWarningsReport>();
        services.AddHealthChecks().AddCheck<SettingsWarningsHealthCheck>(HealthComponent);
        return warnings;
    }

    /// <summary>
    /// Runs <paramref name="check"/> whenever the options are built (on start with <c>ValidateOnStart</c>, and on reload): it
    /// returns the errors that refuse them (values nothing could use) and adds warnings for values accepted as the mirrored
    /// system accepts them.
    /// </summary>
    public static OptionsBuilder<T> CheckSettings<T>(this OptionsBuilder<T> builder, Func<T, SettingsWarnings, IEnumerable<string>> check)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        var warnings = builder.Services.SettingsWarnings();
        builder.Services.AddSingleton<IValidateOptions<T>>(new CheckValidator<T>(builder.Name, warnings, check));
        return builder;
    }

    private sealed class CheckValidator<T>(string? name, SettingsWarnings warnings, Func<T, SettingsWarnings, IEnumerable<string>> check) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? optionsName, T options)
        {
            if (name is not null && name != optionsName)
            {
                return ValidateOptionsResult.Skip;
            }
            var errors = check(options, warnings).ToList();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}

/// <summary>Logs the warnings found before the host started, and from then on each new one as it is found.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Created by the host.")]
internal sealed class SettingsWarningsReport(SettingsWarnings warnings, ILogger<SettingsWarnings> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        warnings.Attach(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The warnings in <c>/actuator/health</c>: always UP (a warning never takes a server out of rotation), with the list in its details.</summary>
[SuppressMessage("Performance", "CA1812", Justification = "Created by the health check service.")]
internal sealed class SettingsWarningsHealthCheck(SettingsWarnings warnings) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var all = warnings.All;
        return Task.FromResult(all.Count == 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Healthy(data: new Dictionary<string, object> { ["warnings"] = all.Select(w => w.Text).ToArray() }));
    }
}
