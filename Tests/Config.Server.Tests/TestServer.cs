using Infrastructure.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Serilog;

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
            builder.ConfigureTestServices(services => services.AddSerilog((_, lc) => logs.Configure(lc), preserveStaticLogger: true));
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
