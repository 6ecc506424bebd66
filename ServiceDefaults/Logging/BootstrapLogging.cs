using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Extensions.Logging;

namespace Infrastructure.ServiceDefaults.Logging;

/// <summary>
/// Serilog for what a service logs before its host is built, Config.Client loading the configuration above all: the same
/// console lines as <see cref="LoggingExtensions.AddDefaultLogging"/> writes later, so a service speaks with one voice from
/// its first line.
/// </summary>
public static class BootstrapLogging
{
    /// <summary>
    /// A logger factory writing to the console as the host will (<see cref="LoggingExtensions.ConsoleTemplate"/>, or compact
    /// JSON with <c>Logging:Json</c>), with the levels and <c>Service</c>/<c>InstanceId</c> properties of the configuration as
    /// it stands; pass it to <c>AddConfigServer</c>, which keeps it for its later lines (reloads, the event stream).
    /// </summary>
    public static ILoggerFactory CreateBootstrapLoggerFactory(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var logger = new LoggerConfiguration()
            .ServiceLevelsAndIdentity(configuration, ServiceIdentity.GetServiceName(builder))
            .ServiceConsole(configuration.GetValue("Logging:Json", false))
            .CreateLogger();
        return new SerilogLoggerFactory(logger, dispose: true);
    }
}
