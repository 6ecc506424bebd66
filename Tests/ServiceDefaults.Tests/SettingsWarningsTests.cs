using Infrastructure.ServiceDefaults.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>The shared list of configuration warnings: each logged once, one line naming its key, found before or after start.</summary>
public sealed class SettingsWarningsTests
{
    [Fact]
    public async Task Warnings_BeforeAndAfterStart_EachLoggedOnceNamingTheKey()
    {
        var services = new ServiceCollection();
        var logged = new Collecting();
        services.AddSingleton<ILoggerFactory>(new Factory(logged));
        services.AddLogging();
        var warnings = services.SettingsWarnings();
        Assert.Same(warnings, services.SettingsWarnings());
        services.AddOptions<Sample>().CheckSettings((o, w) =>
        {
            if (o.Volume < 2)
            {
                w.Add("Sample:Volume", o.Volume.ToString(System.Globalization.CultureInfo.InvariantCulture), "read as 2", "the original accepts it");
            }
            return o.Volume < 0 ? ["Sample:Volume must not be negative"] : [];
        });
        services.Configure<Sample>(o => o.Volume = 1);
        await using var provider = services.BuildServiceProvider();

        // Found while options are built, before the host starts: kept, and logged at start.
        _ = provider.GetRequiredService<IOptionsMonitor<Sample>>().CurrentValue;
        _ = provider.GetRequiredService<IOptions<Sample>>().Value;
        Assert.Empty(logged.Lines);
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }
        // After start: logged as found; the same text again is not a second warning.
        warnings.Add(SettingsWarning.FromText("Auth:Clients:0 (web): RedirectUris is empty"));
        warnings.Add(SettingsWarning.FromText("Auth:Clients:0 (web): RedirectUris is empty"));

        Assert.Equal(["Configuration warning: Sample:Volume=1: read as 2; the original accepts it", "Configuration warning: Auth:Clients:0 (web): RedirectUris is empty"], logged.Lines);
        Assert.Equal(["Sample:Volume", "Auth:Clients:0"], warnings.All.Select(w => w.Key));
    }

    [Fact]
    public void CheckSettings_Errors_RefuseTheOptions()
    {
        var services = new ServiceCollection();
        services.AddOptions<Sample>().CheckSettings((o, _) => o.Volume < 0 ? ["Sample:Volume must not be negative"] : []);
        services.Configure<Sample>(o => o.Volume = -1);
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<Sample>>().Value);
        Assert.Equal("Sample:Volume must not be negative", Assert.Single(e.Failures));
    }

    private sealed class Sample
    {
        public int Volume { get; set; } = 20;
    }

    private sealed class Collecting : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Assert.Equal(LogLevel.Warning, logLevel);
            lock (Lines)
            {
                Lines.Add(formatter(state, exception));
            }
        }
    }

    private sealed class Factory(ILogger logger) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }
}
