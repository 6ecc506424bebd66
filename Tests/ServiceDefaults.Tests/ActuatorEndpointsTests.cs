using System.Net;
using System.Text.Json;
using Infrastructure.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Infrastructure.ServiceDefaults.Tests;

public sealed class ActuatorEndpointsTests
{
    private static async Task<WebApplication> StartAsync(Action<IHealthChecksBuilder>? checks = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.AddServiceDefaults();
        checks?.Invoke(builder.Services.AddHealthChecks());
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/hello", () => "hi");
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task Health_NoChecks_ReturnsSpringUp()
    {
        await using var app = await StartAsync();
        var client = app.GetTestClient();
        var r = await client.GetAsync("/actuator/health");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("UP", doc.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_FailingCheck_ReturnsDownWith503AndComponent()
    {
        await using var app = await StartAsync(c => c.AddCheck("db", () => HealthCheckResult.Unhealthy("no connection")));
        var r = await app.GetTestClient().GetAsync("/actuator/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("DOWN", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal("DOWN", doc.RootElement.GetProperty("components").GetProperty("db").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Prometheus_AfterARequest_ExposesHttpServerMetrics()
    {
        await using var app = await StartAsync();
        var client = app.GetTestClient();
        await client.GetStringAsync("/hello");
        string text = "";
        // The exporter caches a scrape briefly; poll until the request shows up.
        for (var i = 0; i < 50 && !text.Contains("http_server_request_duration", StringComparison.Ordinal); i++)
        {
            text = await client.GetStringAsync("/actuator/prometheus");
            await Task.Delay(100);
        }
        Assert.Contains("http_server_request_duration", text, StringComparison.Ordinal);
    }
}
