using System.Collections.Concurrent;
using System.Globalization;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Infrastructure.Testing;

/// <summary>
/// A server's Serilog events, captured in memory at the levels it logs in production (Information, framework at
/// Warning). Register it after the server's own Serilog setup:
/// <c>builder.ConfigureTestServices(s =&gt; s.AddSerilog((_, lc) =&gt; logs.Configure(lc), preserveStaticLogger: true))</c>.
/// </summary>
public sealed class LogCapture : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    /// <inheritdoc />
    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    /// <summary>Everything captured so far, in order.</summary>
    public IReadOnlyList<LogEvent> Events => [.. _events];

    /// <summary>Forgets what was captured so far.</summary>
    public void Clear() => _events.Clear();

    /// <summary>Sends <paramref name="configuration"/>'s events here, filtered as ServiceDefaults filters them.</summary>
    public LoggerConfiguration Configure(LoggerConfiguration configuration) =>
        configuration.MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Extensions.Http", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Sink(this);

    /// <summary>Events at <paramref name="level"/> or above, rendered (message and exception type), for assertions and failure messages.</summary>
    public IReadOnlyList<string> AtLeast(LogEventLevel level) =>
        [.. Events.Where(e => e.Level >= level).Select(Render)];

    /// <summary>The request-completed lines (<c>HTTP GET /x responded 400</c>) for <paramref name="path"/>.</summary>
    public IEnumerable<LogEvent> RequestLines(string path) => Events.Where(e =>
        e.Properties.TryGetValue("RequestPath", out var p) && p is ScalarValue { Value: string s } && s == path
        && e.Properties.ContainsKey("StatusCode"));

    /// <summary>Waits for the request line: the middleware writes it after the response has been handed back to the client.</summary>
    public async Task<LogEvent> RequestLineAsync(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var line = RequestLines(path).FirstOrDefault();
            if (line is not null || DateTime.UtcNow > deadline)
            {
                return line ?? throw new TimeoutException($"no request line for {path}; logged: {string.Join(" | ", Events.Select(Render))}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>The status code of a request line.</summary>
    public static int StatusCode(LogEvent e) => (int)((ScalarValue)e.Properties["StatusCode"]).Value!;

    private static string Render(LogEvent e) =>
        $"{e.Level} {e.RenderMessage(CultureInfo.InvariantCulture)}{(e.Exception is null ? "" : " [" + e.Exception.GetType().Name + "]")}";
}
