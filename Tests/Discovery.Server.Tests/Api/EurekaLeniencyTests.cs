using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Infrastructure.Discovery.Server.Eviction;
using Microsoft.Extensions.DependencyInjection;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Api;

/// <summary>Registrations Eureka accepts although they look wrong: accepted here too, with the meaning Eureka gives them.</summary>
public sealed class EurekaLeniencyTests : IAsyncLifetime
{
    private readonly EurekaServerFactory _factory = new() { Settings = { ["Eureka:Server:EnableSelfPreservation"] = "false" } };
    private HttpClient _http = null!;

    public Task InitializeAsync()
    {
        _http = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/xml")]
    public async Task Register_DurationShorterThanRenewalInterval_AcceptedAndEvictedWhenLeaseRunsOut(string contentType)
    {
        using var content = contentType == "application/json"
            ? Content(WithField(JsonBody("SHORT", "s1"), "leaseInfo", """{"renewalIntervalInSecs":60,"durationInSecs":10}"""))
            : new StringContent("""
                <instance><instanceId>s1</instanceId><hostName>h</hostName><app>SHORT</app><ipAddr>127.0.0.1</ipAddr>
                <port enabled="true">80</port><dataCenterInfo class="x"><name>MyOwn</name></dataCenterInfo>
                <leaseInfo><renewalIntervalInSecs>60</renewalIntervalInSecs><durationInSecs>10</durationInSecs></leaseInfo></instance>
                """, Encoding.UTF8, contentType);

        Assert.Equal(HttpStatusCode.NoContent, (await _http.PostAsync("/eureka/apps/SHORT", content)).StatusCode);
        using (var doc = await GetJsonAsync(_http, "/eureka/apps/SHORT/s1"))
        {
            var lease = doc.RootElement.GetProperty("instance").GetProperty("leaseInfo");
            Assert.Equal(10, lease.GetProperty("durationInSecs").GetInt32());
            Assert.Equal(60, lease.GetProperty("renewalIntervalInSecs").GetInt32());
        }

        var eviction = _factory.Services.GetRequiredService<EvictionService>();
        _factory.Time.Advance(TimeSpan.FromSeconds(9));
        eviction.EvictOnce();
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/eureka/apps/SHORT/s1")).StatusCode);
        _factory.Time.Advance(TimeSpan.FromSeconds(2));
        eviction.EvictOnce();
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/eureka/apps/SHORT/s1")).StatusCode);
    }

    public static TheoryData<string, string?, string, string> AcceptedAsEurekaDoes => new()
    {
        // Eureka's LeaseInfo builder: 0 or less means the default.
        { "leaseInfo", """{"renewalIntervalInSecs":-5,"durationInSecs":-1}""", "leaseInfo.renewalIntervalInSecs", "30" },
        { "leaseInfo", """{"renewalIntervalInSecs":-5,"durationInSecs":-1}""", "leaseInfo.durationInSecs", "90" },
        { "leaseInfo", """{"renewalIntervalInSecs":30,"durationInSecs":999999999}""", "leaseInfo.durationInSecs", "999999999" },
        // Any 32-bit port is stored and served as sent; no port at all is Eureka's default 7001.
        { "port", """{"$":70000,"@enabled":"true"}""", "port.$", "70000" },
        { "port", null, "port.$", "7001" },
        { "port", """{"$":8080,"@enabled":"maybe"}""", "port.@enabled", "true" },
        { "securePort", """{"$":443,"@enabled":"maybe"}""", "securePort.@enabled", "false" },
        // Both codecs read a non-numeric dirty timestamp as "not set".
        { "lastDirtyTimestamp", "\"yesterday\"", "lastDirtyTimestamp", "1767225600000" },
        { "hostName", "\"" + new string('h', 5000) + "\"", "hostName", new string('h', 5000) },
        { "status", "\"SLEEPING\"", "status", "UNKNOWN" },
    };

    [Theory]
    [MemberData(nameof(AcceptedAsEurekaDoes))]
    public async Task Register_ValueEurekaAccepts_204AndServedWithEurekasMeaning(string field, string? json, string path, string expected)
    {
        var body = JsonBody("LENIENT", "l1");
        using var content = Content(json is null ? Without(body, field) : WithField(body, field, json));

        var response = await _http.PostAsync("/eureka/apps/LENIENT", content);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var doc = await GetJsonAsync(_http, "/eureka/apps/LENIENT/l1");
        var value = path.Split('.').Aggregate(doc.RootElement.GetProperty("instance"), (e, name) => e.GetProperty(name));
        Assert.Equal(expected, value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText());
    }

    private static JsonObject WithField(JsonObject body, string field, string json)
    {
        body["instance"]![field] = JsonNode.Parse(json);
        return body;
    }

    private static JsonObject Without(JsonObject body, string field)
    {
        body["instance"]!.AsObject().Remove(field);
        return body;
    }
}
