using Infrastructure.Config.Server.Api;
using Infrastructure.Config.Server.Encryption;
using Infrastructure.Config.Server.Environment;
using Infrastructure.Config.Server.Git;
using Infrastructure.Config.Server.Monitor;
using Infrastructure.Config.Server.Native;

namespace Infrastructure.Config.Server;

/// <summary>Registration of the config server's features.</summary>
internal static class ConfigServerExtensions
{
    /// <summary>The backend (git when <c>ConfigServer:Git:Uri</c> is set, else native files), the parse cache and the health check.</summary>
    public static WebApplicationBuilder AddConfigBackends(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<NativeOptions>().BindConfiguration(NativeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<GitOptions>().BindConfiguration(GitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ParsedFileCache>();
        if (!string.IsNullOrWhiteSpace(builder.Configuration[GitOptions.Section + ":Uri"]))
        {
            builder.Services.AddSingleton<GitEnvironmentRepository>();
            builder.Services.AddSingleton<IEnvironmentRepository>(sp => sp.GetRequiredService<GitEnvironmentRepository>());
            builder.Services.AddHostedService<GitRefreshService>();
        }
        else
        {
            builder.Services.AddSingleton<IEnvironmentRepository, NativeEnvironmentRepository>();
        }
        builder.Services.AddSingleton<EnvironmentService>();
        builder.Services.AddHealthChecks().AddCheck<ConfigBackendHealthCheck>("configServer");
        return builder;
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
