using System.Net;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests;

/// <summary>The gateway as a container runs it: Production, routes and settings from environment variables only.</summary>
public sealed class ProductionEnvironmentTests
{
    [Theory]
    [InlineData("SPRING_CLOUD_GATEWAY_")]
    [InlineData("Gateway__")]
    public async Task Production_RouteFromEnvironment_Proxied(string prefix)
    {
        await using var backend = await TestBackend.StartAsync("a");
        var sep = prefix.EndsWith("__", StringComparison.Ordinal) ? "__" : "_";
        string Key(params string[] parts) => prefix + string.Join(sep, parts);
        await using var gateway = await ServerProcess.StartAsync("Gateway", environment: new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            [Key(sep == "_" ? "ROUTES" : "Routes", "0", sep == "_" ? "ID" : "Id")] = "orders",
            [Key(sep == "_" ? "ROUTES" : "Routes", "0", sep == "_" ? "URI" : "Uri")] = backend.Url,
            [Key(sep == "_" ? "ROUTES" : "Routes", "0", sep == "_" ? "PREDICATES" : "Predicates", "0")] = "Path=/orders/**",
            [Key(sep == "_" ? "ROUTES" : "Routes", "0", sep == "_" ? "FILTERS" : "Filters", "0")] = "AddResponseHeader=X-From-Env, yes",
        });
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        using var r = await http.GetAsync("/orders/42");
        var echo = await EchoResponse.ReadAsync(r);

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("/orders/42", echo.Path);
        Assert.Equal("yes", r.Headers.GetValues("X-From-Env").Single());
        // Production: the route management API is closed to anonymous callers.
        using var routes = await http.GetAsync("/actuator/gateway/routes");
        Assert.Equal(HttpStatusCode.Unauthorized, routes.StatusCode);
    }
}
