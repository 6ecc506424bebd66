using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Management;

[Collection(GatewayCollection.Name)]
public sealed class ActuatorTests(GatewayFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task GetRoutes_ConfigRoutes_SpringVerboseShape()
    {
        using var doc = JsonDocument.Parse(await _client.GetStringAsync("/actuator/gateway/routes"));
        var path = doc.RootElement.EnumerateArray().Single(r => r.GetProperty("route_id").GetString() == "path");
        Assert.Equal("Paths: [/api/catalog/**], match trailing slash: true", path.GetProperty("predicate").GetString());
        Assert.Equal(fixture.A.Url, path.GetProperty("uri").GetString());
        Assert.Equal(0, path.GetProperty("order").GetInt32());
        var filters = path.GetProperty("filters").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Equal("[[AddResponseHeader _genkey_0 = 'X-Default' _genkey_1 = 'yes'], order = 1]", filters[0]);
        Assert.Equal("[[StripPrefix _genkey_0 = '1'], order = 2]", filters[1]);
    }

    [Fact]
    public async Task RouteCrud_PostGetUseDelete_RuntimeRouteLifecycle()
    {
        var id = "runtime-" + Guid.NewGuid().ToString("N")[..8];
        var body = new
        {
            uri = fixture.B.Url,
            predicates = new object[] { new { name = "Path", args = new Dictionary<string, string> { ["_genkey_0"] = $"/{id}/**" } } },
            filters = new object[] { new { name = "StripPrefix", args = new Dictionary<string, string> { ["parts"] = "1" } } },
            order = 0,
        };
        using (var created = await _client.PostAsJsonAsync($"/actuator/gateway/routes/{id}", body))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using (var proxied = await _client.GetAsync($"/{id}/items"))
        {
            var echo = await EchoResponse.ReadAsync(proxied);
            Assert.Equal("b", echo.Backend);
            Assert.Equal("/items", echo.Path);
        }
        using (var doc = JsonDocument.Parse(await _client.GetStringAsync($"/actuator/gateway/routes/{id}")))
        {
            Assert.Equal(id, doc.RootElement.GetProperty("id").GetString());
            Assert.Equal("Path", doc.RootElement.GetProperty("predicates")[0].GetProperty("name").GetString());
            Assert.Equal("1", doc.RootElement.GetProperty("filters")[0].GetProperty("args").GetProperty("parts").GetString());
        }
        using (var deleted = await _client.DeleteAsync($"/actuator/gateway/routes/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }
        using (var gone = await _client.GetAsync($"/{id}/items"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        using var again = await _client.GetAsync($"/actuator/gateway/routes/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task DeleteRoute_ConfigDefined_404AndStillRouting()
    {
        using var r = await _client.DeleteAsync("/actuator/gateway/routes/echo");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using var still = await _client.GetAsync("/echo/x");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task PostRoute_UnknownPredicate_400WithReason()
    {
        var body = new { uri = fixture.A.Url, predicates = new[] { "Pth=/x/**" } };
        using var r = await _client.PostAsJsonAsync("/actuator/gateway/routes/bad", body);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("unknown predicate 'Pth'", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var get = await _client.GetAsync("/actuator/gateway/routes/bad");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task FactoriesAndGlobalFilters_Listed()
    {
        using var filters = JsonDocument.Parse(await _client.GetStringAsync("/actuator/gateway/routefilters"));
        Assert.True(filters.RootElement.TryGetProperty("[StripPrefixGatewayFilterFactory]", out _));
        using var predicates = JsonDocument.Parse(await _client.GetStringAsync("/actuator/gateway/routepredicates"));
        Assert.True(predicates.RootElement.TryGetProperty("[PathRoutePredicateFactory]", out _));
        using var global = JsonDocument.Parse(await _client.GetStringAsync("/actuator/gateway/globalfilters"));
        Assert.Contains(global.RootElement.EnumerateObject(), p => p.Value.GetInt32() == 10150);
        using var refresh = await _client.PostAsync("/actuator/gateway/refresh", null);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
    }
}
