using System.Net;
using System.Text;
using System.Text.Json;
using Infrastructure.Discovery.Server.Consul;
using Microsoft.Extensions.DependencyInjection;

namespace Infrastructure.Discovery.Server.Tests.Consul;

/// <summary>Consul calls as clients make them, against the in-process server.</summary>
internal static class ConsulCalls
{
    public static async Task<HttpResponseMessage> PutAsync(HttpClient http, string path, string? json = null)
    {
        using var content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json");
        return await http.PutAsync(path, content);
    }

    public static async Task RegisterAsync(HttpClient http, string json)
    {
        using var response = await PutAsync(http, "/v1/agent/service/register", json);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    public static async Task<JsonDocument> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text);
    }

    /// <summary>The instance's Eureka status as a Eureka client reads it, or null when Eureka does not have it.</summary>
    public static async Task<string?> EurekaStatusAsync(HttpClient http, string app, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/eureka/apps/{app}/{id}");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("instance").GetProperty("status").GetString();
    }

    /// <summary>CheckID=status of every check of the service's instances, as <c>/v1/health/service</c> serves them.</summary>
    public static async Task<IReadOnlyList<string>> HealthChecksAsync(HttpClient http, string service, string query = "")
    {
        using var doc = await GetJsonAsync(http, $"/v1/health/service/{service}{query}");
        return doc.RootElement.EnumerateArray()
            .SelectMany(e => e.GetProperty("Checks").EnumerateArray())
            .Select(c => c.GetProperty("CheckID").GetString() + "=" + c.GetProperty("Status").GetString())
            .ToList();
    }

    public static async Task<IReadOnlyList<string>> PassingIdsAsync(HttpClient http, string service)
    {
        using var doc = await GetJsonAsync(http, $"/v1/health/service/{service}?passing");
        return doc.RootElement.EnumerateArray().Select(e => e.GetProperty("Service").GetProperty("ID").GetString()!).ToList();
    }

    /// <summary>Moves the fake clock and runs one agent pass (what its one-second loop does), so tests need not wait for the loop.</summary>
    public static void Advance(EurekaServerFactory factory, TimeSpan by)
    {
        factory.Time.Advance(by);
        factory.Services.GetRequiredService<ConsulAgent>().RunOnce();
    }
}
