using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Hosting;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>
/// The admin API, walked endpoint by endpoint in Production: no token 401, a token of this server without
/// <c>auth.admin</c> 403, with it anything but 401/403. The guard fails when a write endpoint is in neither list.
/// </summary>
public sealed class ProtectedEndpointWalkTests(ProtectedEndpointWalkTests.Fixture fixture) : IClassFixture<ProtectedEndpointWalkTests.Fixture>
{
    /// <summary>What needs <c>auth.admin</c>: (method, route as mapped, a path to call). docs/Auth.Server.md lists the same.</summary>
    private static readonly (string Method, string Route, string Path)[] Walked =
    [
        ("GET", "/api/admin/clients", "/api/admin/clients"),
        ("GET", "/api/admin/clients/{clientId}", "/api/admin/clients/walk-other"),
        ("PUT", "/api/admin/clients/{clientId}", "/api/admin/clients/walk-new"),
        ("DELETE", "/api/admin/clients/{clientId}", "/api/admin/clients/walk-new"),
        ("GET", "/api/admin/users", "/api/admin/users"),
        ("GET", "/api/admin/users/{subjectId}", "/api/admin/users/7"),
        ("PUT", "/api/admin/users/{subjectId}", "/api/admin/users/8"),
        ("DELETE", "/api/admin/users/{subjectId}", "/api/admin/users/8"),
    ];

    /// <summary>
    /// Write endpoints that take no admin token, on purpose: each is a protocol endpoint or page that authenticates
    /// its caller its own way (tested in ProtocolEndpointTests, TokenEndpointTests, SecurityTests), or read-only health.
    /// </summary>
    private static readonly (string Method, string Route)[] NotWalked =
    [
        ("POST", "/connect/authorize"),   // the user signs in (cookie); the client is checked against its redirect URIs
        ("POST", "/connect/token"),       // client authentication (secret), then the grant
        ("POST", "/connect/userinfo"),    // a bearer token of this server with openid, else 401/403
        ("POST", "/connect/introspect"),  // API resource authentication (ApiSecrets), else 401
        ("POST", "/connect/revocation"),  // client authentication, and only the client's own tokens
        ("POST", "/connect/endsession"),  // id_token_hint, or a confirmation page with an antiforgery token
        ("POST", "/account/login"),       // antiforgery token, then the user's password
        ("POST", "/account/consent"),     // antiforgery token and a signed-in user
        ("POST", "/account/logout"),      // antiforgery token
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
    public async Task Production_AdminEndpoint_NoToken401_OtherScope403_AdminScopeThrough(string method, string path)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await fixture.StatusAsync(method, path, null));
        Assert.Equal(HttpStatusCode.Forbidden, await fixture.StatusAsync(method, path, await fixture.TokenAsync("walk-other", "catalog.read")));
        var status = await fixture.StatusAsync(method, path, await fixture.TokenAsync("walk-admin", "auth.admin"));
        Assert.NotEqual(HttpStatusCode.Unauthorized, status);
        Assert.NotEqual(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public void EveryWriteEndpoint_IsWalkedOrOpenOnPurpose()
    {
        var problem = EndpointWalk.Unlisted(fixture.Factory.Services, Walked.Select(w => (w.Method, w.Route)), NotWalked);
        Assert.True(problem is null, problem);
    }

    /// <summary>Auth.Server in Production with two clients of its own (hashed secrets, as Production requires): one may ask for auth.admin, one not.</summary>
    public sealed class Fixture : IDisposable
    {
        private readonly HttpClient _http;

        public Fixture()
        {
            Factory = new AuthServerFactory(new()
            {
                ["Auth:Clients:0:ClientId"] = "walk-admin",
                ["Auth:Clients:0:ClientSecrets:0:Value"] = SecretHasher.Sha256("walk-admin-secret"),
                ["Auth:Clients:0:AllowedGrantTypes:0"] = "client_credentials",
                ["Auth:Clients:0:AllowedScopes:0"] = "auth.admin",
                ["Auth:Clients:1:ClientId"] = "walk-other",
                ["Auth:Clients:1:ClientSecrets:0:Value"] = SecretHasher.Sha256("walk-other-secret"),
                ["Auth:Clients:1:AllowedGrantTypes:0"] = "client_credentials",
                ["Auth:Clients:1:AllowedScopes:0"] = "catalog.read",
                ["Auth:ApiScopes:0:Name"] = "auth.admin",
                ["Auth:ApiScopes:1:Name"] = "catalog.read",
            }, b => b.UseEnvironment("Production"));
            _http = Factory.CreateClient();
        }

        internal AuthServerFactory Factory { get; }

        /// <summary>A token from this server's own token endpoint, signed with the key it trusts.</summary>
        public Task<string> TokenAsync(string clientId, string scope) =>
            Protocol.ClientCredentialsTokenAsync(_http, scope, clientId, clientId + "-secret");

        public async Task<HttpStatusCode> StatusAsync(string method, string path, string? token)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method == "PUT")
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            using var response = await _http.SendAsync(request);
            return response.StatusCode;
        }

        public void Dispose()
        {
            _http.Dispose();
            Factory.Dispose();
        }
    }
}
