using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Infrastructure.Config.Server.Tests;

/// <summary>A temp folder removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cfgtest-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>The server's log events, captured at the levels it logs in production (Information, framework at Warning).</summary>
internal sealed class LogCapture : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public IReadOnlyList<LogEvent> Events => [.. _events];

    public void Clear() => _events.Clear();

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
                return line ?? throw new Xunit.Sdk.XunitException($"no request line for {path}; logged: {string.Join(" | ", Events.Select(e => e.RenderMessage(CultureInfo.InvariantCulture)))}");
            }
            await Task.Delay(20);
        }
    }

    public static int StatusCode(LogEvent e) => (int)((ScalarValue)e.Properties["StatusCode"]).Value!;
}

/// <summary>The config server in memory with the given settings.</summary>
internal sealed class ConfigServerFactory(IDictionary<string, string?> settings, LogCapture? logs = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Not Development: appsettings.Development.json (the lab's encryption key) stays out of the tests; security is asked for explicitly.
        builder.UseEnvironment("Test");
        builder.UseSetting("ConfigServer:Security:Enabled", "false");
        foreach (var (k, v) in settings)
        {
            builder.UseSetting(k, v);
        }
        if (logs is not null)
        {
            // Registered after the server's own Serilog setup, so its ILoggerFactory and Serilog.ILogger are the ones resolved.
            builder.ConfigureTestServices(services => services.AddSerilog(
                (_, lc) => lc.MinimumLevel.Information()
                    .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                    .Enrich.FromLogContext()
                    .WriteTo.Sink(logs),
                preserveStaticLogger: true));
        }
    }

    public static ConfigServerFactory Native(string folder, string? encryptKey = null, LogCapture? logs = null)
    {
        var s = new Dictionary<string, string?> { ["ConfigServer:Native:SearchLocations"] = folder };
        if (encryptKey is not null)
        {
            s["ConfigServer:Encrypt:Key"] = encryptKey;
        }
        return new ConfigServerFactory(s, logs);
    }
}
