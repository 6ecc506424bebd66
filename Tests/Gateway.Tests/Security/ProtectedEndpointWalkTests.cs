using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Gateway.Tests.Security;

/// <summary>
/// Every mutating or sensitive gateway endpoint, walked one by one in Production: no token 401, a valid token without
/// <c>gateway.admin</c> 403, with it anything but 401/403. The guard fails when a write endpoint is in neither list.
/// </summary>
public sealed class ProtectedEndpointWalkTests(ProtectedEndpointWalkTests.Fixture fixture) : IClassFixture<ProtectedEndpointWalkTests.Fixture>
{
    /// <summary>What needs <c>gateway.admin</c> outside Development: (method, route as mapped, a path to call). docs/Gateway.md lists the same.</summary>
    private static readonly (string Method, string Route, string Path)[] Walked =
    [
        ("GET", "/actuator/gateway/routes", "/actuator/gateway/routes"),
        ("GET", "/actuator/gateway/routedefinitions", "/actuator/gateway/routedefinitions"),
        ("GET", "/actuator/gateway/routes/{id}", "/actuator/gateway/routes/walk"),
        ("GET", "/actuator/gateway/routes/{id}/combinedfilters", "/actuator/gateway/routes/walk/combinedfilters"),
        ("POST", "/actuator/gateway/routes/{id}", "/actuator/gateway/routes/walk-new"),
        ("DELETE", "/actuator/gateway/routes/{id}", "/actuator/gateway/routes/walk-new"),
        ("POST", "/actuator/gateway/refresh", "/actuator/gateway/refresh"),
        ("GET", "/actuator/gateway/globalfilters", "/actuator/gateway/globalfilters"),
        ("GET", "/actuator/gateway/routefilters", "/actuator/gateway/routefilters"),
        ("GET", "/actuator/gateway/routepredicates", "/actuator/gateway/routepredicates"),
        ("POST", "/dashboard/api/chaos/{app}/{instanceId}", "/dashboard/api/chaos/svc/127.0.0.1:svc:9"),
    ];

    /// <summary>Mapped for every method yet open on purpose: read-only health and metrics, which say nothing a caller could use to change anything.</summary>
    private static readonly (string Method, string Route)[] Open =
    [
        .. EndpointWalk.ReadOnlyActuator,
    ];

    public static TheoryData<string, string> Rows()
    {
        var rows = new TheoryData<string, string>();
        foreach (var (method, _, path) in Walked)
        {
            rows.Add(method, path);
        }
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Production_Endpoint_NoToken401_OtherScope403_AdminScopeThrough(string method, string path)
    {
        using (var anonymous = await fixture.SendAsync(method, path, token: null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        using (var otherScope = await fixture.SendAsync(method, path, fixture.Token("catalog.read order.write")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, otherScope.StatusCode);
        }
        using var admin = await fixture.SendAsync(method, path, fixture.Token("gateway.admin"));
        Assert.NotEqual(HttpStatusCode.Unauthorized, admin.StatusCode);
        Assert.NotEqual(HttpStatusCode.Forbidden, admin.StatusCode);
    }

    [Fact]
    public void EveryWriteEndpoint_IsWalkedOrOpenOnPurpose()
    {
        var problem = EndpointWalk.Unlisted(fixture.Host.Services, Walked.Select(w => (w.Method, w.Route)), Open);
        Assert.True(problem is null, problem);
    }

    /// <summary>One gateway in Production trusting one test key, with a configured route to look at.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private const string Issuer = "http://auth.walk.test";
        private readonly RSA _key = RSA.Create(2048);
        private HttpClient _client = null!;

        internal GatewayHost Host { get; private set; } = null!;

        public Task InitializeAsync()
        {
            var c = new RouteConfig()
                .Set("Gateway:Security:Issuer", Issuer)
                .Set("Gateway:Security:Audience", "gateway")
                .Set("Gateway:Security:SigningKeys:0", _key.ExportSubjectPublicKeyInfoPem())
                .Set("Spring:Cloud:Discovery:Client:Simple:Instances:svc:0:Uri", "http://127.0.0.1:9")
                .Route("walk", "http://127.0.0.1:9", ["Path=/walk/**"]);
            Host = new GatewayHost(c.Settings, environment: "Production");
            _client = Host.NewClient();
            return Task.CompletedTask;
        }

        public async Task DisposeAsync()
        {
            _client.Dispose();
            await Host.DisposeAsync();
            _key.Dispose();
        }

        internal string Token(string scope) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = "gateway",
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["scope"] = scope, ["sub"] = "walker", ["client_id"] = "walk" },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(_key), SecurityAlgorithms.RsaSha256),
        });

        internal Task<HttpResponseMessage> SendAsync(string method, string path, string? token)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT" or "PATCH")
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            return _client.SendAsync(request);
        }
    }
}
