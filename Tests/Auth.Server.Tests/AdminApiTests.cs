using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Infrastructure.Auth.Server.Tests;

public sealed class AdminApiTests : IClassFixture<AdminApiTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public AuthServerFactory Factory { get; } = new();

        public void Dispose() => Factory.Dispose();
    }

    private readonly HttpClient _http;

    public AdminApiTests(Fixture fixture) => _http = fixture.Factory.CreateClient();

    private async Task<HttpClient> AdminAsync()
    {
        var token = await Protocol.ClientCredentialsTokenAsync(_http, "auth.admin", "auth-admin", "auth-admin-secret");
        _http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return _http;
    }

    [Fact]
    public async Task Admin_NoToken_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/clients");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Admin_TokenWithoutAdminScope_403()
    {
        var token = await Protocol.ClientCredentialsTokenAsync(_http, "catalog.read");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/clients");
        request.Headers.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Admin_CreateClient_CanGetTokensAndSecretsAreNotListed()
    {
        var admin = await AdminAsync();
        var r = await admin.PutAsJsonAsync("/api/admin/clients/new-svc", new
        {
            ClientId = "new-svc",
            ClientSecrets = new[] { new { Value = "new-secret" } },
            AllowedGrantTypes = new[] { "client_credentials" },
            AllowedScopes = new[] { "order.write" },
            AccessTokenLifetime = 120,
            RefreshTokenUsage = "ReUse",
        });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var listed = await admin.GetStringAsync("/api/admin/clients/new-svc");
        Assert.DoesNotContain("new-secret", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(Configuration.SecretHasher.Sha256("new-secret"), listed, StringComparison.Ordinal);

        Assert.Contains("\"refreshTokenUsage\":\"ReUse\"", listed, StringComparison.Ordinal);
        var token = await Protocol.ClientCredentialsTokenAsync(_http, "order.write", "new-svc", "new-secret");
        var jwt = Protocol.Read(token);
        Assert.Equal("new-svc", jwt.GetClaim("client_id").Value);
        Assert.Equal(TimeSpan.FromSeconds(120), jwt.ValidTo - jwt.IssuedAt);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/admin/clients/new-svc")).StatusCode);
        var (gone, _) = await Protocol.TokenAsync(_http, "new-svc", "new-secret", new() { ["grant_type"] = "client_credentials" });
        Assert.Equal(HttpStatusCode.Unauthorized, gone.StatusCode);
    }

    [Fact]
    public async Task Admin_InvalidClient_400WithReason()
    {
        var admin = await AdminAsync();
        var r = await admin.PutAsJsonAsync("/api/admin/clients/bad", new { ClientId = "bad", AllowedGrantTypes = new[] { "implicit" }, RequireClientSecret = false });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("implicit", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_CreateUser_CanLogInAndHashIsNotReturned()
    {
        var admin = await AdminAsync();
        var r = await admin.PutAsJsonAsync("/api/admin/users/42", new { SubjectId = "42", Username = "carol", Password = "carol-pw", IsActive = true, Claims = new Dictionary<string, string> { ["name"] = "Carol" } });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var json = await admin.GetStringAsync("/api/admin/users/42");
        Assert.DoesNotContain("AQAAAA", json, StringComparison.Ordinal);
        Assert.Equal("carol", JsonDocument.Parse(json).RootElement.GetProperty("username").GetString());
        var (ok, body) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "carol", ["password"] = "carol-pw", ["scope"] = "openid" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("42", Protocol.Read(body.GetProperty("access_token").GetString()!).Subject);

        // Deactivated users cannot sign in.
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync("/api/admin/users/42", new { SubjectId = "42", Username = "carol", IsActive = false })).StatusCode);
        var (denied, _) = await Protocol.TokenAsync(_http, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "carol", ["password"] = "carol-pw" });
        Assert.Equal(HttpStatusCode.BadRequest, denied.StatusCode);
    }
}
