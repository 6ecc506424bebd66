using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Serilog.Events;

namespace Infrastructure.ServiceDefaults.Lifetime;

/// <summary>
/// Runs a server so that a start that fails (a setting out of range, a port in use, an unreadable file) ends in one
/// readable line and exit code 1, instead of the host's error log and the runtime's unhandled-exception dump, each with
/// the same stack trace.
/// </summary>
public static class StartupFailure
{
    /// <summary>The host's own "Hosting failed to start" line, left out of the logs because <see cref="RunServer"/> reports it.</summary>
    internal static bool IsHostStartFailure(LogEvent e) =>
        e.Level >= LogEventLevel.Error
        && e.Exception is not null
        && e.Properties.TryGetValue("SourceContext", out var source)
        && source is ScalarValue { Value: "Microsoft.Extensions.Hosting.Internal.Host" }
        && e.MessageTemplate.Text.StartsWith("Hosting failed to start", StringComparison.Ordinal);

    /// <summary>
    /// <see cref="WebApplication.Run"/>, with a failed start written to standard error as one line naming the cause (the stack
    /// trace follows only for errors that are not about configuration) and exit code 1.
    /// </summary>
    public static int RunServer(this WebApplication app)
    {
        // Read before Run: a failed start disposes the host's services, and the environment with them.
        var application = app.Environment.ApplicationName;
        try
        {
            app.Run();
            return 0;
        }
        catch (Exception ex) when (System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name == application)
        {
            // Only when this server is the process: hosted by WebApplicationFactory (a test host is the entry assembly),
            // the failure must reach the factory as it was thrown.
            Console.Error.WriteLine(Describe(application, ex));
            return 1;
        }
    }

    /// <summary>Writes the one-line report of a start refused before the host was built (a check of the server's own) and returns exit code 1.</summary>
    public static int Report(string application, string reason)
    {
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{Now():HH:mm:ss} FTL] {application} did not start: {reason}"));
        return 1;
    }

    // The host and its TimeProvider are gone (or never were) when these lines are written: the system clock, local time
    // as on the host's console lines.
    private static DateTimeOffset Now() => TimeProvider.System.GetLocalNow();

    /// <summary>The one-line report of a failed start, plus the stack trace when the cause is a bug rather than a setting.</summary>
    public static string Describe(string application, Exception ex)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"[{Now():HH:mm:ss} FTL] {application} did not start: ");
        var first = true;
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is AggregateException { InnerExceptions.Count: 1 } single && single.InnerException is { } only)
            {
                e = only;
            }
            if (!first)
            {
                // Wrappers often repeat their cause's message; say it once.
                if (!text.ToString().Contains(e.Message, StringComparison.Ordinal))
                {
                    text.Append(" (").Append(e.Message).Append(')');
                }
            }
            else
            {
                text.Append(e is OptionsValidationException ov ? string.Join("; ", ov.Failures) : e.Message);
            }
            first = false;
        }
        if (!IsConfigurationError(ex))
        {
            text.AppendLine().Append(ex);
        }
        return text.ToString();
    }

    private static bool IsConfigurationError(Exception ex) =>
        ex is OptionsValidationException or InvalidOperationException or ArgumentException or FormatException
            or IOException or UnauthorizedAccessException or InvalidDataException
        || ex.InnerException is OptionsValidationException or InvalidDataException or FormatException;
}
