using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Security;

/// <summary>Says at start, loudly, when security is on but nobody could ever authenticate.</summary>
internal sealed partial class SecurityStartupCheck(IOptions<SecurityOptions> options, IHostEnvironment environment, ILogger<SecurityStartupCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var enabled = o.Enabled ?? !environment.IsDevelopment();
        if (enabled && o.Users.Count == 0 && o.Authority is null)
        {
            LogNoCredentials(logger, environment.EnvironmentName);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1801, Level = LogLevel.Warning, Message = "Security is on (environment {Environment}) but neither ConfigServer:Security:Users nor ConfigServer:Security:Authority is set: every configuration request will answer 401. Run in Development or configure credentials.")]
    private static partial void LogNoCredentials(ILogger logger, string environment);
}
