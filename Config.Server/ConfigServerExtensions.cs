using Infrastructure.Config.Server.Encryption;
using Infrastructure.Config.Server.Environment;
using Infrastructure.Config.Server.Git;
using Infrastructure.Config.Server.Limits;
using Infrastructure.Config.Server.Monitor;
using Infrastructure.Config.Server.Native;
using Infrastructure.Config.Server.Postgres;
using Infrastructure.ServiceDefaults.Options;
using Infrastructure.ServiceDefaults.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Infrastructure.Config.Server;

/// <summary>Registration of the config server's features.</summary>
internal static class ConfigServerExtensions
{
    /// <summary>
    /// The backend: <c>ConfigServer:Composite:N:Type</c> (native|git|postgres, each entry with that backend's keys) when listed,
    /// else git when <c>ConfigServer:Git:Uri</c> is set, else PostgreSQL when <c>ConfigServer:Postgres:ConnectionString</c> is set, else native files.
    /// </summary>
    public static WebApplicationBuilder AddConfigBackends(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<NativeOptions>().BindConfiguration(NativeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<GitOptions>().BindConfiguration(GitOptions.Section).ValidateDataAnnotations()
            .CheckSettings((o, w) => GitOptions.Check(o, w)).ValidateOnStart();
        builder.Services.AddOptions<PostgresOptions>().BindConfiguration(PostgresOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<InputLimits>().BindConfiguration(InputLimits.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ParsedFileCache>();

        var config = builder.Configuration;
        var composite = config.GetSection("ConfigServer:Composite").GetChildren().ToList();
        if (composite.Count > 0)
        {
            AddComposite(builder, composite);
        }
        else if (!string.IsNullOrWhiteSpace(config[GitOptions.Section + ":Uri"]))
        {
            builder.Services.AddSingleton<GitEnvironmentRepository>();
            builder.Services.AddSingleton<IEnvironmentRepository>(sp => sp.GetRequiredService<GitEnvironmentRepository>());
            builder.Services.AddHostedService<GitRefreshService>();
        }
        else if (!string.IsNullOrWhiteSpace(config[PostgresOptions.Section + ":ConnectionString"]))
        {
            AddPostgres(builder.Services, Options.Create(config.GetSection(PostgresOptions.Section).Get<PostgresOptions>()!));
            builder.Services.AddSingleton<IEnvironmentRepository>(sp => sp.GetRequiredService<PostgresEnvironmentRepository>());
        }
        else
        {
            builder.Services.AddSingleton<IEnvironmentRepository, NativeEnvironmentRepository>();
        }
        builder.Services.AddSingleton<EnvironmentService>();
        builder.Services.AddHealthChecks().AddCheck<ConfigBackendHealthCheck>("configServer");
        return builder;
    }

    private static void AddPostgres(IServiceCollection services, IOptions<PostgresOptions> options)
    {
        // Bounded waits unless the connection string sets its own: a hung database gets a 503 in seconds, not after 30 s.
        services.AddSingleton(_ => NpgsqlDataSource.Create(PostgresWaits.Bounded(options.Value.ConnectionString!)));
        services.AddSingleton(sp => new PostgresEnvironmentRepository(sp.GetRequiredService<NpgsqlDataSource>(), options, sp.GetRequiredService<ILogger<PostgresEnvironmentRepository>>()));
        services.AddSingleton(sp => new PostgresChangeListener(sp.GetRequiredService<PostgresEnvironmentRepository>(), options, sp.GetRequiredService<RefreshEventBus>(), sp.GetRequiredService<ILogger<PostgresChangeListener>>()));
        services.AddHostedService(sp => sp.GetRequiredService<PostgresChangeListener>());
    }

    private static void AddComposite(WebApplicationBuilder builder, List<IConfigurationSection> entries)
    {
        var factories = new List<Func<IServiceProvider, IEnvironmentRepository>>();
        var warnings = builder.Services.SettingsWarnings();
        var hasPostgres = false;
        foreach (var entry in entries.OrderBy(e => int.TryParse(e.Key, out var i) ? i : int.MaxValue))
        {
            var type = entry["Type"]?.Trim().ToLowerInvariant();
            switch (type)
            {
                case "native":
                    var native = Options.Create(entry.Get<NativeOptions>() ?? new NativeOptions());
                    factories.Add(sp => new NativeEnvironmentRepository(native, sp.GetRequiredService<IHostEnvironment>(), sp.GetRequiredService<ParsedFileCache>()));
                    break;
                case "git":
                    var git = Options.Create(entry.Get<GitOptions>() ?? new GitOptions());
                    if (string.IsNullOrWhiteSpace(git.Value.Uri))
                    {
                        throw new OptionsValidationException(entry.Path, typeof(GitOptions), [$"{entry.Path}:Uri is required for a git backend"]);
                    }
                    GitOptions.Check(git.Value, warnings, entry.Path);
                    factories.Add(sp => new GitEnvironmentRepository(git, sp.GetRequiredService<ParsedFileCache>(), sp.GetRequiredService<RefreshEventBus>(),
                        sp.GetRequiredService<ILogger<GitEnvironmentRepository>>(), sp.GetRequiredService<TimeProvider>()));
                    break;
                case "postgres" or "jdbc" when !hasPostgres:
                    if (type == "jdbc")
                    {
                        warnings.Add(entry.Path + ":Type", "jdbc",
                            "read as postgres: the PostgreSQL backend, with ConnectionString (and DefaultLabel, NotifyChannel) beside it",
                            "Spring's JDBC backend reads the same columns (application, profile, label, key, value) from any JDBC database set by spring.datasource.*");
                    }
                    var pg = Options.Create(entry.Get<PostgresOptions>() ?? new PostgresOptions());
                    if (string.IsNullOrWhiteSpace(pg.Value.ConnectionString))
                    {
                        throw new OptionsValidationException(entry.Path, typeof(PostgresOptions), [$"{entry.Path}:ConnectionString is required for a postgres backend"]);
                    }
                    hasPostgres = true;
                    AddPostgres(builder.Services, pg);
                    factories.Add(sp => sp.GetRequiredService<PostgresEnvironmentRepository>());
                    break;
                default:
                    throw new OptionsValidationException(entry.Path, typeof(object), [$"{entry.Path}:Type must be native, git or postgres (or jdbc, read as postgres; one at most), not '{type}'"]);
            }
        }
        builder.Services.AddSingleton<IEnvironmentRepository>(sp => new CompositeEnvironmentRepository(factories.Select(f => f(sp)).ToList()));
    }

    /// <summary><c>{cipher}</c> decryption and the <c>/encrypt</c>, <c>/decrypt</c> keys.</summary>
    public static WebApplicationBuilder AddConfigEncryption(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<EncryptOptions>().BindConfiguration(EncryptOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<CipherService>();
        return builder;
    }

    /// <summary>Refresh events: the bus, the file watcher on native locations.</summary>
    public static WebApplicationBuilder AddConfigMonitor(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RefreshEventBus>();
        builder.Services.AddHostedService<NativeFileWatcher>();
        return builder;
    }
}
