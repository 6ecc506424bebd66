using Infrastructure.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary><c>Metrics:Enable:{prefix}</c>, Spring Boot's <c>management.metrics.enable.*</c>.</summary>
public sealed class MetricsEnablementTests
{
    private static MetricsEnablement From(params (string Key, string Value)[] entries) =>
        MetricsEnablement.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(entries.Select(e => new KeyValuePair<string, string?>("Metrics:Enable:" + e.Key, e.Value)))
            .Build());

    [Fact]
    public void NoEntries_EverythingEnabled()
    {
        var enablement = From();
        Assert.True(enablement.IsEmpty);
        Assert.True(enablement.IsEnabled("http.client.request.duration"));
    }

    [Fact]
    public void LongestDottedPrefixWins_ThenAll()
    {
        var enablement = From(("all", "false"), ("http", "true"), ("http.client", "false"), ("http.client.request.duration", "true"));

        Assert.True(enablement.IsEnabled("http.client.request.duration"));
        Assert.False(enablement.IsEnabled("http.client.open_connections"));
        Assert.True(enablement.IsEnabled("http.server.request.duration"));
        Assert.False(enablement.IsEnabled("kestrel.active_connections"));
        // A prefix is whole dot-separated segments: "http.client" says nothing about "http.clients".
        Assert.True(enablement.IsEnabled("http.clients"));
    }

    [Fact]
    public void ValueThatIsNotABoolean_StopsTheStartNamingTheKey()
    {
        var e = Assert.Throws<InvalidOperationException>(() => From(("http.client", "off")));
        Assert.Contains("Metrics:Enable:http.client", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisabledPrefix_IsAbsentFromPrometheus_OthersStay()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Metrics:Enable:http.server.active_requests"] = "false",
            ["Metrics:Enable:aspnetcore"] = "false",
        });
        builder.AddServiceDefaults();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/hello", () => "hi");
        await app.StartAsync();
        var client = app.GetTestClient();
        await client.GetStringAsync("/hello");

        var text = "";
        // The exporter caches a scrape briefly; poll until the request shows up.
        for (var i = 0; i < 50 && !text.Contains("http_server_request_duration", StringComparison.Ordinal); i++)
        {
            text = await client.GetStringAsync("/actuator/prometheus");
            await Task.Delay(100);
        }
        Assert.Contains("http_server_request_duration_seconds_count", text, StringComparison.Ordinal);
        Assert.DoesNotContain("http_server_active_requests", text, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore_", text, StringComparison.Ordinal);
    }
}
