using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Infrastructure.Discovery.Server.Registry;

namespace Infrastructure.Discovery.Server.Tests;

/// <summary>Registration bodies and registry snapshots for tests.</summary>
internal static class TestInstances
{
    public static InstanceInfo Info(string app, string id, InstanceStatus status = InstanceStatus.UP, int duration = 90, long dirty = 1000) => new()
    {
        InstanceId = id,
        App = app.ToUpperInvariant(),
        HostName = id.Split(':')[0],
        IpAddr = "127.0.0.1",
        Status = status,
        DurationInSecs = duration,
        RenewalIntervalInSecs = Math.Min(30, duration),
        VipAddress = app.ToLowerInvariant(),
        SecureVipAddress = app.ToLowerInvariant() + "-secure",
        LastDirtyTimestamp = dirty,
    };

    /// <summary>A registration body as eureka-js-client / Spring send it.</summary>
    public static JsonObject JsonBody(string app, string? instanceId, string hostName = "host1", int port = 8080, object? portEnabled = null)
    {
        var instance = new JsonObject
        {
            ["hostName"] = hostName,
            ["app"] = app,
            ["ipAddr"] = "127.0.0.1",
            ["vipAddress"] = app.ToLowerInvariant(),
            ["secureVipAddress"] = app.ToLowerInvariant(),
            ["status"] = "UP",
            ["port"] = new JsonObject { ["$"] = port, ["@enabled"] = portEnabled is bool b ? JsonValue.Create(b) : JsonValue.Create((string?)portEnabled ?? "true") },
            ["securePort"] = new JsonObject { ["$"] = 443, ["@enabled"] = "false" },
            ["homePageUrl"] = $"http://{hostName}:{port}/",
            ["statusPageUrl"] = $"http://{hostName}:{port}/actuator/info",
            ["healthCheckUrl"] = $"http://{hostName}:{port}/actuator/health",
            ["dataCenterInfo"] = new JsonObject { ["@class"] = InstanceInfo.DefaultDataCenterClass, ["name"] = "MyOwn" },
            ["leaseInfo"] = new JsonObject { ["renewalIntervalInSecs"] = 30, ["durationInSecs"] = 90 },
            ["metadata"] = new JsonObject { ["zone"] = "zone1" },
        };
        if (instanceId is not null)
        {
            instance["instanceId"] = instanceId;
        }
        return new JsonObject { ["instance"] = instance };
    }

    public static StringContent Content(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static async Task<HttpResponseMessage> RegisterAsync(HttpClient http, string app, string instanceId, string hostName = "host1", int port = 8080, string prefix = "/eureka")
    {
        using var content = Content(JsonBody(app, instanceId, hostName, port));
        return await http.PostAsync($"{prefix}/apps/{app}", content);
    }

    public static async Task<JsonDocument> GetJsonAsync(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Instance ids of an application in a full <c>/apps</c> JSON document.</summary>
    public static IReadOnlyList<string> InstanceIds(JsonDocument apps, string app) =>
        apps.RootElement.GetProperty("applications").GetProperty("application").EnumerateArray()
            .Where(a => a.GetProperty("name").GetString() == app)
            .SelectMany(a => a.GetProperty("instance").EnumerateArray())
            .Select(i => i.GetProperty("instanceId").GetString()!)
            .ToList();

    /// <summary>Polls until <paramref name="condition"/> holds or the deadline passes (generous, for a loaded machine).</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        return await condition();
    }
}
