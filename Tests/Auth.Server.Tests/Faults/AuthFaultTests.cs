using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Infrastructure.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit.Abstractions;

namespace Infrastructure.Auth.Server.Tests.Faults;

/// <summary>
/// Auth.Server replicas (real processes) on a PostgreSQL of the test's own: a replica SIGKILLed, and PostgreSQL itself
/// going away and coming back. Refresh tokens and signing keys live in the database, so nothing a client holds is lost.
/// </summary>
public sealed class AuthFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A client gets tokens (password grant, offline_access) from replica 1, which is then SIGKILLed. Replica 2 validates
    /// replica 1's access token through its own discovery document and JWKS (shared signing keys) and redeems replica 1's
    /// refresh token; the rotated refresh token works too.
    /// </summary>
    [Fact]
    public async Task ReplicaKilled_OtherReplicaRedeemsItsRefreshToken_AndValidatesItsTokens()
    {
        await using var pg = await OwnPostgres.StartAsync();
        var port1 = FreePort.Next();
        var env = new Dictionary<string, string?>
        {
            ["Auth__Postgres__ConnectionString"] = pg.ConnectionString,
            // Replicas behind one address share the issuer.
            ["Auth__IssuerUri"] = $"http://127.0.0.1:{port1}",
        };
        await using var replica1 = await ServerProcess.StartAsync("Auth.Server", port1, environment: env);
        await using var replica2 = await ServerProcess.StartAsync("Auth.Server", environment: env);
        using var http1 = Client(replica1);
        using var http2 = Client(replica2);

        var (issued, tokens) = await Protocol.TokenAsync(http1, "lab-client", "lab-secret",
            new() { ["grant_type"] = "password", ["username"] = "bob", ["password"] = "bob", ["scope"] = "openid catalog.read offline_access" });
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;

        replica1.Kill();
        Assert.True(replica1.HasExited);

        // Replica 2's own JWKS (its discovery document names the shared issuer's address, which was replica 1's here).
        var jwks = new JsonWebKeySet(await http2.GetStringAsync("/.well-known/openid-configuration/jwks"));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(accessToken, new TokenValidationParameters
        {
            ValidIssuer = env["Auth__IssuerUri"],
            ValidAudience = "catalog",
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidTypes = ["at+jwt"],
        });
        Assert.True(validation.IsValid, "replica 1's access token does not validate against replica 2's JWKS: " + validation.Exception?.Message);

        var (refreshed, body) = await Protocol.TokenAsync(http2, "lab-client", "lab-secret",
            new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken });
        Assert.True(refreshed.StatusCode == HttpStatusCode.OK, $"refresh at replica 2 answered {(int)refreshed.StatusCode}: {body}");
        Assert.Equal("2", Protocol.Read(body.GetProperty("access_token").GetString()!).Subject);
        var (again, _) = await Protocol.TokenAsync(http2, "lab-client", "lab-secret",
            new() { ["grant_type"] = "refresh_token", ["refresh_token"] = body.GetProperty("refresh_token").GetString()! });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    /// <summary>
    /// A user signed in at replica 1 (its login session is a cookie); replica 1 is SIGKILLed and the next authorize request
    /// reaches replica 2, which must honour the session (no new login) — the replicas run as on separate hosts, each
    /// with its own home folder, so nothing but the shared database can carry the cookie's keys.
    /// </summary>
    [Fact]
    public async Task ReplicaKilled_LoginSessionContinuesAtTheOther()
    {
        await using var pg = await OwnPostgres.StartAsync();
        var homes = new[] { NewHome(), NewHome() };
        try
        {
            var port1 = FreePort.Next();
            Dictionary<string, string?> Env(string home) => new()
            {
                ["Auth__Postgres__ConnectionString"] = pg.ConnectionString,
                ["Auth__IssuerUri"] = $"http://127.0.0.1:{port1}",
                ["HOME"] = home,
            };
            await using var replica1 = await ServerProcess.StartAsync("Auth.Server", port1, environment: Env(homes[0]));
            await using var replica2 = await ServerProcess.StartAsync("Auth.Server", environment: Env(homes[1]));
            var cookies = new CookieContainer();
            using var browser1 = Browser(replica1, cookies);
            var (_, challenge) = BrowserFlow.NewPkce();
            var authorize = BrowserFlow.AuthorizeUrl("web-bff", "http://127.0.0.1:5100/signin-oidc", "openid profile", challenge);
            var first = await new BrowserFlow(browser1).RunAsync(authorize);
            Assert.True(BrowserFlow.Query(first).ContainsKey("code"), "no code from replica 1: " + first);

            replica1.Kill();

            // Cookies belong to the host, not the port: the browser sends replica 1's session cookie to replica 2.
            using var browser2 = Browser(replica2, cookies);
            using var again = await browser2.GetAsync(authorize);
            Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
            var location = again.Headers.Location!;
            Assert.True(location.IsAbsoluteUri && location.Authority == "127.0.0.1:5100" && BrowserFlow.Query(location).ContainsKey("code"),
                "replica 2 did not honour replica 1's login session, it answered with a redirect to " + location);
        }
        finally
        {
            foreach (var home in homes)
            {
                try
                {
                    Directory.Delete(home, recursive: true);
                }
                catch (DirectoryNotFoundException)
                {
                }
            }
        }
    }

    private static string NewHome() => Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "auth-home-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    private static HttpClient Browser(ServerProcess s, CookieContainer cookies) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = s.BaseUri, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// PostgreSQL stopped with <c>pg_ctl stop -m immediate</c> under a running Auth.Server: every token request is answered
    /// within a bound with a 5xx in the token endpoint's JSON error shape; the process keeps running; once PostgreSQL is
    /// back, token requests succeed again without restarting Auth.Server, and a refresh token issued before the outage works.
    /// </summary>
    [Fact]
    public async Task PostgresStopped_TokenRequestsGetJson5xx_RecoverWhenItReturns()
    {
        await using var pg = await OwnPostgres.StartAsync();
        await using var auth = await ServerProcess.StartAsync("Auth.Server", environment: new Dictionary<string, string?>
        {
            ["Auth__Postgres__ConnectionString"] = pg.ConnectionString,
        });
        using var http = Client(auth);
        var (issued, tokens) = await Protocol.TokenAsync(http, "lab-client", "lab-secret",
            new() { ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = "openid offline_access" });
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(http)).Status);

        await pg.StopImmediateAsync();
        var during = new List<(HttpStatusCode Status, JsonElement Body, string? ContentType)>();
        for (var i = 0; i < 6; i++)
        {
            during.Add(await ClientCredentialsAsync(http));
            during.Add(await BoundedAsync(() => Protocol.TokenAsync(http, "lab-client", "lab-secret",
                new() { ["grant_type"] = "password", ["username"] = "bob", ["password"] = "bob", ["scope"] = "openid" })));
        }
        Assert.All(during, r =>
        {
            Assert.True((int)r.Status >= 500, $"answered {(int)r.Status} while PostgreSQL was down");
            Assert.Equal("application/json", r.ContentType);
            Assert.Equal(JsonValueKind.String, r.Body.ValueKind == JsonValueKind.Object && r.Body.TryGetProperty("error", out var e) ? e.ValueKind : JsonValueKind.Undefined);
        });
        Assert.False(auth.HasExited, "Auth.Server exited while PostgreSQL was down:\n" + auth.Output);
        // The process still serves: its liveness endpoint answers, and discovery (which reads the scopes) says 503 in JSON too.
        using (var live = await http.GetAsync("/actuator/health/liveness"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        using (var discovery = await http.GetAsync("/.well-known/openid-configuration"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, discovery.StatusCode);
            Assert.Equal("application/json", discovery.Content.Headers.ContentType?.MediaType);
        }

        await pg.StartAgainAsync();
        var sw = Stopwatch.StartNew();
        var failuresAfterRestart = 0;
        while ((await ClientCredentialsAsync(http)).Status != HttpStatusCode.OK)
        {
            failuresAfterRestart++;
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "token requests still fail 60 s after PostgreSQL came back:\n" + auth.Output);
            await Task.Delay(250);
        }
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(http)).Status);
        }
        var (refreshed, body, _) = await BoundedAsync(() => Protocol.TokenAsync(http, "lab-client", "lab-secret",
            new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken }));
        Assert.True(refreshed == HttpStatusCode.OK, $"refresh token from before the outage answered {(int)refreshed}: {body}");
        Assert.False(auth.HasExited);
        output.WriteLine($"while down: {string.Join(", ", during.Select(r => (int)r.Status).Distinct())}; after PostgreSQL was back: {failuresAfterRestart} failed request(s), first success after {sw.Elapsed.TotalSeconds:0.0} s");
        Assert.True(failuresAfterRestart <= 3, $"{failuresAfterRestart} token requests failed after PostgreSQL was back");
    }

    /// <summary>
    /// PostgreSQL frozen (SIGSTOP of the postmaster and its backends) under a running Auth.Server with warm pooled
    /// connections, while 20 token requests arrive at once: each is answered within the bound with 503 in the token
    /// endpoint's JSON shape (<c>temporarily_unavailable</c>, <c>Retry-After</c>) — a hang does not look like a refusal, so
    /// only bounded waits get it there; liveness keeps answering; after SIGCONT token requests succeed without a restart.
    /// </summary>
    [Fact]
    public async Task PostgresFrozen_TokenRequestsGet503WithinBound_RecoverOnSigcont()
    {
        await using var pg = await OwnPostgres.StartAsync();
        await using var auth = await ServerProcess.StartAsync("Auth.Server", environment: new Dictionary<string, string?>
        {
            ["Auth__Postgres__ConnectionString"] = pg.ConnectionString,
        });
        using var http = new HttpClient { BaseAddress = auth.BaseUri, Timeout = FrozenBound + TimeSpan.FromSeconds(30) };
        var (issued, tokens) = await Protocol.TokenAsync(http, "lab-client", "lab-secret",
            new() { ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = "openid offline_access" });
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;
        // Warm the pool: connections open and idle, as under steady traffic.
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => ClientCredentialsAsync(http, FrozenBound)));

        await pg.FreezeAsync();
        var sw = Stopwatch.StartNew();
        var burst = Enumerable.Range(0, 20).Select(async i =>
        {
            var started = sw.Elapsed;
            var r = i % 2 == 0
                ? await ClientCredentialsAsync(http, FrozenBound)
                : await BoundedAsync(() => Protocol.TokenAsync(http, "lab-client", "lab-secret",
                    new() { ["grant_type"] = "password", ["username"] = "bob", ["password"] = "bob", ["scope"] = "openid" }), FrozenBound);
            return (r.Status, r.Body, r.ContentType, Elapsed: sw.Elapsed - started);
        }).ToList();
        using (var live = await http.GetAsync("/actuator/health/liveness"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        var during = await Task.WhenAll(burst);
        Assert.All(during, r =>
        {
            Assert.True(r.Status == HttpStatusCode.ServiceUnavailable, $"answered {(int)r.Status} while PostgreSQL was frozen: {r.Body}");
            Assert.Equal("application/json", r.ContentType);
            Assert.Equal("temporarily_unavailable", r.Body.GetProperty("error").GetString());
        });
        Assert.False(auth.HasExited, "Auth.Server exited while PostgreSQL was frozen:\n" + auth.Output);
        var slowest = during.Max(r => r.Elapsed);

        await pg.ThawAsync();
        sw.Restart();
        var failuresAfter = 0;
        while ((await ClientCredentialsAsync(http, FrozenBound)).Status != HttpStatusCode.OK)
        {
            failuresAfter++;
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "token requests still fail 60 s after SIGCONT:\n" + auth.Output);
            await Task.Delay(250);
        }
        var firstSuccess = sw.Elapsed;
        var (refreshed, body, _) = await BoundedAsync(() => Protocol.TokenAsync(http, "lab-client", "lab-secret",
            new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken }), FrozenBound);
        Assert.True(refreshed == HttpStatusCode.OK, $"refresh token from before the freeze answered {(int)refreshed}: {body}");
        output.WriteLine($"frozen: {during.Length} token requests, all 503 temporarily_unavailable, slowest {slowest.TotalSeconds:0.0} s; after SIGCONT: {failuresAfter} failed, first success after {firstSuccess.TotalSeconds:0.0} s");
    }

    // With Npgsql's own defaults a query on a pooled connection waits 30 s, then its cancellation request 2 × 15 s;
    // with PostgresWaits' 5 s / 5 s it is 15 s, plus queueing on a loaded machine.
    private static readonly TimeSpan FrozenBound = TimeSpan.FromSeconds(30);

    private static HttpClient Client(ServerProcess s) => new() { BaseAddress = s.BaseUri, Timeout = RequestBound + TimeSpan.FromSeconds(10) };

    private static Task<(HttpStatusCode Status, JsonElement Body, string? ContentType)> ClientCredentialsAsync(HttpClient http, TimeSpan? bound = null) =>
        BoundedAsync(() => Protocol.TokenAsync(http, "lab-client", "lab-secret", new() { ["grant_type"] = "client_credentials", ["scope"] = "catalog.read" }), bound);

    /// <summary>Runs a token request and fails the test if it takes longer than <paramref name="bound"/> (default <see cref="RequestBound"/>): a hang, not slowness.</summary>
    private static async Task<(HttpStatusCode Status, JsonElement Body, string? ContentType)> BoundedAsync(
        Func<Task<(HttpResponseMessage Response, JsonElement Body)>> call, TimeSpan? bound = null)
    {
        var limit = bound ?? RequestBound;
        var task = call();
        if (await Task.WhenAny(task, Task.Delay(limit)) != task)
        {
            Assert.Fail($"a token request did not complete within {limit.TotalSeconds} s");
        }
        var (response, body) = await task;
        using (response)
        {
            return (response.StatusCode, body, response.Content.Headers.ContentType?.MediaType);
        }
    }
}
