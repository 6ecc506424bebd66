using System.Net;
using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>Two real Auth.Server processes on one PostgreSQL database serve as one.</summary>
public sealed class PostgresReplicaTests : IClassFixture<PostgresReplicaTests.Replicas>
{
    public sealed class Replicas : IAsyncLifetime
    {
        public TestDatabase Db { get; } = new();

        public ServerProcess A { get; private set; } = null!;

        public ServerProcess B { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var portA = FreePort.Next();
            var env = new Dictionary<string, string?>
            {
                ["Auth__Postgres__ConnectionString"] = Db.ConnectionString,
                // Replicas behind one address share the issuer.
                ["Auth__IssuerUri"] = $"http://127.0.0.1:{portA}",
            };
            A = await ServerProcess.StartAsync("Auth.Server", portA, environment: env);
            B = await ServerProcess.StartAsync("Auth.Server", environment: env);
        }

        public async Task DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
            Db.Dispose();
        }
    }

    private readonly TestDatabase _db;
    private readonly ServerProcess _a;
    private readonly ServerProcess _b;

    public PostgresReplicaTests(Replicas replicas)
    {
        _db = replicas.Db;
        _a = replicas.A;
        _b = replicas.B;
    }

    private static HttpClient Client(ServerProcess s) => new() { BaseAddress = s.BaseUri, Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task CodeIssuedByOneReplica_RedeemedAtTheOther_AndReplayDetectedAcrossReplicas()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true };
        using var browser = new HttpClient(handler) { BaseAddress = _a.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var (verifier, challenge) = BrowserFlow.NewPkce();
        var callback = await new BrowserFlow(browser).RunAsync(BrowserFlow.AuthorizeUrl("web-bff", "http://127.0.0.1:5100/signin-oidc", "openid profile offline_access catalog.read", challenge));
        var code = BrowserFlow.Query(callback)["code"];
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "http://127.0.0.1:5100/signin-oidc", ["code_verifier"] = verifier,
        };

        using var b = Client(_b);
        var (r, body) = await Protocol.TokenAsync(b, "web-bff", "web-bff-secret", new(form));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        // The token B signed is valid at A (shared keys): userinfo on A.
        using var a = Client(_a);
        using var ui = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        ui.Headers.Authorization = new("Bearer", body.GetProperty("access_token").GetString());
        var uiResponse = await a.SendAsync(ui);
        Assert.Equal(HttpStatusCode.OK, uiResponse.StatusCode);
        Assert.Equal("Alice Smith", JsonDocument.Parse(await uiResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("name").GetString());

        // Replay at A: rejected, and the refresh token B issued is revoked.
        var (replay, _) = await Protocol.TokenAsync(a, "web-bff", "web-bff-secret", new(form));
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        var (refresh, _) = await Protocol.TokenAsync(b, "web-bff", "web-bff-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = body.GetProperty("refresh_token").GetString()! });
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
    }

    [Fact]
    public async Task RefreshTokenUsedOnOneReplica_ReusedOnTheOther_RejectedAndFamilyRevoked()
    {
        using var a = Client(_a);
        using var b = Client(_b);
        var (_, first) = await Protocol.TokenAsync(a, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "bob", ["password"] = "bob", ["scope"] = "openid offline_access" });
        var rt1 = first.GetProperty("refresh_token").GetString()!;
        var (r2, second) = await Protocol.TokenAsync(a, "lab-client", "lab-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = rt1 });
        Assert.Equal(HttpStatusCode.OK, r2.StatusCode);
        var (reuse, body) = await Protocol.TokenAsync(b, "lab-client", "lab-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = rt1 });
        Assert.Equal(HttpStatusCode.BadRequest, reuse.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
        var (r3, _) = await Protocol.TokenAsync(b, "lab-client", "lab-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = second.GetProperty("refresh_token").GetString()! });
        Assert.Equal(HttpStatusCode.BadRequest, r3.StatusCode);
    }

    [Fact]
    public async Task ConcurrentRedemption_OfOneRefreshToken_ExactlyOneWins()
    {
        using var a = Client(_a);
        using var b = Client(_b);
        var (_, first) = await Protocol.TokenAsync(a, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = "openid offline_access" });
        var rt = first.GetProperty("refresh_token").GetString()!;
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Protocol.TokenAsync(i % 2 == 0 ? a : b, "lab-client", "lab-secret", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = rt })));
        Assert.True(results.Count(x => x.Response.StatusCode == HttpStatusCode.OK) <= 1);
        Assert.Contains(results, x => x.Response.StatusCode == HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AdminCreatedUser_OnOneReplica_LogsInOnTheOther_PasswordStoredHashed()
    {
        using var a = Client(_a);
        using var b = Client(_b);
        var token = await Protocol.ClientCredentialsTokenAsync(a, "auth.admin", "auth-admin", "auth-admin-secret");
        using var put = new HttpRequestMessage(HttpMethod.Put, "/api/admin/users/77")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { SubjectId = "77", Username = "dave", Password = "dave-pw", IsActive = true }),
        };
        put.Headers.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.Created, (await a.SendAsync(put)).StatusCode);
        var (r, _) = await Protocol.TokenAsync(b, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "dave", ["password"] = "dave-pw", ["scope"] = "openid" });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        await using var conn = new Npgsql.NpgsqlConnection(_db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT password_hash FROM auth_users WHERE subject_id = '77'", conn);
        var hash = (string)(await cmd.ExecuteScalarAsync())!;
        Assert.DoesNotContain("dave-pw", hash, StringComparison.Ordinal);
        Assert.StartsWith("AQAAAA", hash, StringComparison.Ordinal); // PasswordHasher v3 format marker.
    }
}
