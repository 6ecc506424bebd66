using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Infrastructure.Discovery.Server.Tests;

/// <summary>The server in-process with a fake clock and the read-only cache off, so writes are visible at once.</summary>
public sealed class EurekaServerFactory : WebApplicationFactory<Program>
{
    /// <summary>The clock the server runs on; tests move it forward instead of sleeping.</summary>
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Extra configuration applied before start.</summary>
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["Eureka:Server:UseReadOnlyResponseCache"] = "false",
    };

    /// <summary>Service replacements applied after the server's own (fakes for outbound calls, for instance).</summary>
    public List<Action<IServiceCollection>> TestServices { get; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (k, v) in Settings)
        {
            builder.UseSetting(k, v);
        }
        builder.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(Time);
            foreach (var configure in TestServices)
            {
                configure(s);
            }
        });
    }
}
