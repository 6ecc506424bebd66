using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Testing;

/// <summary>
/// A stand-in for Auth.Server on a loopback port: an OpenID discovery document and a JWKS holding one RSA key (the paths
/// IdentityServer4 uses), and a mint for access tokens shaped like Auth.Server's, so resource servers are tested through
/// their real <c>Authority</c> configuration.
/// </summary>
public sealed class FakeAuthority : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _jwksRequests;

    private FakeAuthority(WebApplication app, int port)
    {
        _app = app;
        Issuer = $"http://127.0.0.1:{port}";
    }

    /// <summary>The issuer and authority URL, <c>http://127.0.0.1:{port}</c>.</summary>
    public string Issuer { get; }

    /// <summary>The signing key (private part included; tests mint with it).</summary>
    public RSA Key { get; } = RSA.Create(2048);

    public string KeyId => "fake-authority-1";

    /// <summary>The public key as PEM (SubjectPublicKeyInfo), for servers configured with keys instead of an authority.</summary>
    public string PublicKeyPem => Key.ExportSubjectPublicKeyInfoPem();

    /// <summary>How many times the JWKS was fetched (an unknown kid makes JwtBearer fetch it again).</summary>
    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    public static async Task<FakeAuthority> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var authority = new FakeAuthority(app, port);
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = authority.Issuer,
            ["jwks_uri"] = authority.Issuer + "/.well-known/openid-configuration/jwks",
            ["token_endpoint"] = authority.Issuer + "/connect/token",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        app.MapGet("/.well-known/openid-configuration/jwks", () =>
        {
            Interlocked.Increment(ref authority._jwksRequests);
            var p = authority.Key.ExportParameters(includePrivateParameters: false);
            return Results.Json(new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", alg = "RS256", kid = authority.KeyId, n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) },
                },
            });
        });
        await app.StartAsync();
        return authority;
    }

    /// <summary>A token as Auth.Server issues it: RS256 with this authority's key and kid, valid for ten minutes; <paramref name="shape"/> changes any part of it.</summary>
    public string Token(string scope, string? audience, Action<SecurityTokenDescriptor>? shape = null)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            TokenType = "at+jwt",
            IssuedAt = now.AddMinutes(-1),
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["sub"] = "alice", ["client_id"] = "test-client", ["scope"] = scope },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(Key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        };
        shape?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Key.Dispose();
    }
}

/// <summary>Bearer tokens a resource server must refuse (401), each minted with real libraries, not by hand.</summary>
public static class HostileTokens
{
    /// <summary>Every shape; all but <c>missing-scope</c> (403) must be 401.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "alg-none", "hs256-with-public-key-pem", "hs256-with-public-key-der", "expired", "not-yet-valid", "wrong-issuer",
        "wrong-audience", "no-audience", "unknown-key", "unknown-key-same-kid", "tampered-payload", "garbage", "garbage-three-parts",
        "empty", "missing-scope",
    ];

    /// <summary>The token called <paramref name="name"/>, aimed at a server that accepts <paramref name="audience"/> and wants <paramref name="scope"/>.</summary>
    public static string Create(string name, FakeAuthority authority, string audience, string scope)
    {
        var now = DateTime.UtcNow;
        return name switch
        {
            // Unsigned: "alg":"none" and an empty signature.
            "alg-none" => authority.Token(scope, audience, d => d.SigningCredentials = null),
            // Key confusion: the public key (which anyone can fetch) used as an HMAC secret, hoping the server verifies
            // HS256 with whatever key material it holds for that kid.
            "hs256-with-public-key-pem" => authority.Token(scope, audience, d => d.SigningCredentials = Hmac(System.Text.Encoding.ASCII.GetBytes(authority.PublicKeyPem), authority.KeyId)),
            "hs256-with-public-key-der" => authority.Token(scope, audience, d => d.SigningCredentials = Hmac(authority.Key.ExportSubjectPublicKeyInfo(), authority.KeyId)),
            // Well past any clock skew (JwtBearer's default is 5 minutes).
            "expired" => authority.Token(scope, audience, d => (d.IssuedAt, d.NotBefore, d.Expires) = (now.AddHours(-2), now.AddHours(-2), now.AddHours(-1))),
            "not-yet-valid" => authority.Token(scope, audience, d => (d.IssuedAt, d.NotBefore, d.Expires) = (now, now.AddHours(1), now.AddHours(2))),
            "wrong-issuer" => authority.Token(scope, audience, d => d.Issuer = "http://evil.example"),
            // Another API resource of the same authority (Auth.Server's "auth"): a token meant for someone else.
            "wrong-audience" => authority.Token(scope, "auth"),
            "no-audience" => authority.Token(scope, audience: null),
            "unknown-key" => Foreign(authority, scope, audience, "someone-else"),
            "unknown-key-same-kid" => Foreign(authority, scope, audience, authority.KeyId),
            // A genuine token for another scope, its payload swapped for one granting the wanted scope; signature kept.
            "tampered-payload" => Tamper(authority.Token("openid", audience), authority.Token(scope, audience)),
            "garbage" => "garbage",
            "garbage-three-parts" => "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2UtYXV0aG9yaXR5LTEifQ.bm90IGpzb24.c2lnbmF0dXJl",
            "empty" => "",
            "missing-scope" => authority.Token("openid profile", audience),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
    }

    private static SigningCredentials Hmac(byte[] secret, string keyId) =>
        new(new SymmetricSecurityKey(secret) { KeyId = keyId }, SecurityAlgorithms.HmacSha256);

    private static string Foreign(FakeAuthority authority, string scope, string audience, string keyId)
    {
        using var other = RSA.Create(2048);
        return authority.Token(scope, audience, d => d.SigningCredentials = new SigningCredentials(new RsaSecurityKey(other) { KeyId = keyId }, SecurityAlgorithms.RsaSha256));
    }

    private static string Tamper(string signedForOther, string wanted)
    {
        var parts = signedForOther.Split('.');
        parts[1] = wanted.Split('.')[1];
        return string.Join('.', parts);
    }

    /// <summary>The JOSE header of a compact JWT, for tests that check a hostile token really has the shape its name says.</summary>
    public static JsonElement Header(string token) =>
        JsonDocument.Parse(Base64UrlEncoder.Decode(token.Split('.')[0])).RootElement.Clone();
}
