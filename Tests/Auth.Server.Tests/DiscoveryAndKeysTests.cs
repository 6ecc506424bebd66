using System.Net;
using System.Text.Json;
using Infrastructure.Auth.Server.Keys;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Infrastructure.Auth.Server.Tests;

public sealed class DiscoveryAndKeysTests : IClassFixture<DiscoveryAndKeysTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        // Key files are this class's subject, so it always runs on the file store.
        public AuthServerFactory Factory { get; } = new(fileStore: true);

        public void Dispose() => Factory.Dispose();
    }

    private readonly AuthServerFactory _factory;

    public DiscoveryAndKeysTests(Fixture fixture) => _factory = fixture.Factory;

    [Fact]
    public async Task Discovery_Document_HasIdentityServer4Fields()
    {
        var doc = JsonDocument.Parse(await _factory.CreateClient().GetStringAsync("/.well-known/openid-configuration")).RootElement;
        Assert.Equal("http://localhost", doc.GetProperty("issuer").GetString());
        Assert.Equal("http://localhost/.well-known/openid-configuration/jwks", doc.GetProperty("jwks_uri").GetString());
        Assert.Equal("http://localhost/connect/authorize", doc.GetProperty("authorization_endpoint").GetString());
        Assert.Equal("http://localhost/connect/token", doc.GetProperty("token_endpoint").GetString());
        Assert.Equal("http://localhost/connect/userinfo", doc.GetProperty("userinfo_endpoint").GetString());
        Assert.Equal("http://localhost/connect/endsession", doc.GetProperty("end_session_endpoint").GetString());
        Assert.Equal("http://localhost/connect/revocation", doc.GetProperty("revocation_endpoint").GetString());
        Assert.Equal("http://localhost/connect/introspect", doc.GetProperty("introspection_endpoint").GetString());
        Assert.Equal(["S256"], doc.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["RS256"], doc.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(e => e.GetString()));
        var scopes = doc.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("openid", scopes);
        Assert.Contains("catalog.read", scopes);
        Assert.Contains("offline_access", scopes);
        Assert.Contains("client_credentials", doc.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Jwks_PublicKeysOnly_PersistedToFiles()
    {
        var jwks = JsonDocument.Parse(await _factory.CreateClient().GetStringAsync("/.well-known/openid-configuration/jwks")).RootElement;
        var key = jwks.GetProperty("keys").EnumerateArray().Single();
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
        Assert.Equal("sig", key.GetProperty("use").GetString());
        Assert.Equal("RS256", key.GetProperty("alg").GetString());
        Assert.False(key.TryGetProperty("d", out _));
        Assert.False(key.TryGetProperty("p", out _));
        var files = Directory.GetFiles(_factory.KeyFolder, "*.key.json");
        Assert.Single(files);
        Assert.Contains(key.GetProperty("kid").GetString()!, files[0], StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files[0]));
        }
    }

    [Fact]
    public async Task Keys_SurviveRestart_OldTokenStillValid()
    {
        var folder = Path.Combine(Path.GetTempPath(), "auth-keys-" + Guid.NewGuid().ToString("N"));
        try
        {
            string token;
            using (var first = new AuthServerFactory(new() { ["Auth:SigningKeys:Path"] = folder }, fileStore: true))
            {
                token = await Protocol.ClientCredentialsTokenAsync(first.CreateClient());
            }
            using var second = new AuthServerFactory(new() { ["Auth:SigningKeys:Path"] = folder }, fileStore: true);
            var result = await Protocol.ValidateLikeResourceServerAsync(second.CreateClient(), token, "catalog");
            Assert.True(result.IsValid, result.Exception?.Message);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public async Task Es256_Configured_SignsAndValidates()
    {
        using var factory = new AuthServerFactory(new() { ["Auth:SigningKeys:Algorithm"] = "ES256" });
        var http = factory.CreateClient();
        var token = await Protocol.ClientCredentialsTokenAsync(http);
        Assert.Equal("ES256", Protocol.Read(token).Alg);
        var jwks = JsonDocument.Parse(await http.GetStringAsync("/.well-known/openid-configuration/jwks")).RootElement;
        var key = jwks.GetProperty("keys").EnumerateArray().Single();
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        var result = await Protocol.ValidateLikeResourceServerAsync(http, token, "catalog");
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public void Startup_InvalidConfiguration_FailsWithClearMessage()
    {
        var e = FailedStart.Of(() => new AuthServerFactory(new()
        {
            ["Auth:Clients:0:AccessTokenLifetime"] = "0",
            ["Auth:Clients:1:RedirectUris:0"] = "signin-oidc",
        }), factory => factory.CreateClient());
        var message = e.ToString();
        Assert.Contains("AccessTokenLifetime", message, StringComparison.Ordinal);
        Assert.Contains("'signin-oidc'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_PlaintextSecretOutsideDevelopment_Fails()
    {
        var e = FailedStart.Of(() => new AuthServerFactory(new() { ["Auth:PlaintextSecrets"] = "false" }), factory => factory.CreateClient());
        Assert.Contains("Sha256", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HashedSecrets_Sha256Form_Authenticates()
    {
        var hashed = Configuration.SecretHasher.Sha256("secret");
        // The value IdentityServer4 documents for "secret".Sha256().
        Assert.Equal("K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=", hashed);
        var settings = new Dictionary<string, string?> { ["Auth:PlaintextSecrets"] = "false" };
        // Outside plaintext mode every configured secret must be in hashed form.
        foreach (var (i, secret) in new[] { (0, "lab-secret"), (1, "web-bff-secret"), (3, "auth-admin-secret") })
        {
            settings[$"Auth:Clients:{i}:ClientSecrets:0:Value"] = Configuration.SecretHasher.Sha256(secret);
        }
        foreach (var (i, secret) in new[] { (0, "catalog-secret"), (1, "orders-secret"), (2, "gateway-secret") })
        {
            settings[$"Auth:ApiResources:{i}:ApiSecrets:0:Value"] = Configuration.SecretHasher.Sha256(secret);
        }
        using var factory = new AuthServerFactory(settings);
        var http = factory.CreateClient();
        Assert.False(string.IsNullOrEmpty(await Protocol.ClientCredentialsTokenAsync(http)));
        var (r, _) = await Protocol.TokenAsync(http, "lab-client", Configuration.SecretHasher.Sha256("lab-secret"), new() { ["grant_type"] = "client_credentials" });
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
    }

    private sealed class MemoryKeyStore : ISigningKeyStore
    {
        public List<StoredSigningKey> Keys { get; } = [];

        public Task<IReadOnlyList<StoredSigningKey>> LoadKeysAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<StoredSigningKey>>(Keys.ToList());

        public Task StoreKeyAsync(StoredSigningKey key, CancellationToken ct)
        {
            Keys.Add(key);
            return Task.CompletedTask;
        }

        public Task DeleteKeyAsync(string id, CancellationToken ct)
        {
            Keys.RemoveAll(k => k.Id == id);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task KeyRotation_NextKeyAnnouncedBeforeSigning_RetiredKeyKeptForRetention()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var store = new MemoryKeyStore();
        var options = Options.Create(new SigningKeyOptions
        {
            RotationInterval = TimeSpan.FromDays(10),
            PropagationTime = TimeSpan.FromDays(2),
            RetentionTime = TimeSpan.FromDays(3),
            CacheDuration = TimeSpan.FromMinutes(1),
        });
        var manager = new KeyManager(store, options, time, NullLogger<KeyManager>.Instance);

        var ring = await manager.GetKeyRingAsync(default);
        var k1 = ring.Signing.Id;
        Assert.Single(ring.Published);

        // Day 8 (= 10 - 2): the next key is created and published, but k1 still signs.
        time.Advance(TimeSpan.FromDays(8));
        ring = await manager.GetKeyRingAsync(default);
        Assert.Equal(2, ring.Published.Count);
        Assert.Equal(k1, ring.Signing.Id);
        var k2 = ring.Published.Single(k => k.Id != k1).Id;

        // Day 10: k2 has been announced for PropagationTime, so it signs; k1 is still published.
        time.Advance(TimeSpan.FromDays(2));
        ring = await manager.GetKeyRingAsync(default);
        Assert.Equal(k2, ring.Signing.Id);
        Assert.Contains(ring.Published, k => k.Id == k1);

        // Day 13 (= rotation 10 + retention 3): k1 is removed.
        time.Advance(TimeSpan.FromDays(3));
        ring = await manager.GetKeyRingAsync(default);
        Assert.DoesNotContain(ring.Published, k => k.Id == k1);
        Assert.DoesNotContain(store.Keys, k => k.Id == k1);
        Assert.Equal(k2, ring.Signing.Id);
    }
}
