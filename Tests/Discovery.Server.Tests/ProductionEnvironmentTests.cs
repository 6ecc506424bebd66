using System.Net;
using System.Text;
using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.Discovery.Server.Tests;

/// <summary>The server as a container runs it: Production, configured by environment variables only, with Eureka's names.</summary>
public sealed class ProductionEnvironmentTests
{
    [Fact]
    public async Task Production_SpringStyleVariables_Applied()
    {
        await using var server = await ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // As in a Spring Boot docker-compose file: eureka.server.enable-self-preservation, eureka.server.use-read-only-response-cache.
            ["EUREKA_SERVER_ENABLESELFPRESERVATION"] = "false",
            ["EUREKA_SERVER_USEREADONLYRESPONSECACHE"] = "false",
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        var dashboard = await http.GetStringAsync("/");
        Assert.Contains("Self preservation enabled", dashboard, StringComparison.Ordinal);
        Assert.Contains("id=\"self-preservation\"", dashboard, StringComparison.Ordinal);

        // With Eureka's default read-only cache (30 s) a registration would not show yet; without it, it shows at once.
        var body = """{"instance":{"instanceId":"h1:prod:1","hostName":"h1","app":"PROD","ipAddr":"10.0.0.1","status":"UP","port":{"$":8080,"@enabled":"true"},"dataCenterInfo":{"@class":"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo","name":"MyOwn"}}}""";
        using (var r = await http.PostAsync("/eureka/apps/PROD", new StringContent(body, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/eureka/apps");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await http.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var apps = doc.RootElement.GetProperty("applications").GetProperty("application");
        Assert.Contains("PROD", apps.ToString(), StringComparison.Ordinal);
    }
}
