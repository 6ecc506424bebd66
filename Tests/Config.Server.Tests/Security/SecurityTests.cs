using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Config.Server.Tests.Security;

public sealed class SecurityTests : IDisposable
{
    private readonly TempDir _dir = new();

    public SecurityTests() => _dir.Write("application.yml", "a: 1\n");

    public void Dispose() => _dir.Dispose();

    private ConfigServerFactory Secured(string? authority = null) => new(new Dictionary<string, string?>
    {
        ["ConfigServer:Native:SearchLocations"] = _dir.Path,
        ["ConfigServer:Encrypt:Key"] = "k",
        ["ConfigServer:Security:Enabled"] = "true",
        ["ConfigServer:Security:Users:0:Username"] = "reader",
        ["ConfigServer:Security:Users:0:Password"] = "r-pass",
        ["ConfigServer:Security:Users:1:Username"] = "admin",
        ["ConfigServer:Security:Users:1:Password"] = "a-pass",
        ["ConfigServer:Security:Users:1:Scopes"] = "config.read config.admin",
        ["ConfigServer:Security:Authority"] = authority,
    });

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    private static async Task<HttpStatusCode> SendAsync(HttpClient http, HttpMethod method, string path, AuthenticationHeaderValue? auth)
    {
        using var req = new HttpRequestMessage(method, path);
        req.Headers.Authorization = auth;
        if (method == HttpMethod.Post)
        {
            req.Content = new StringContent("x");
        }
        using var r = await http.SendAsync(req);
        return r.StatusCode;
    }

    [Fact]
    public async Task Get_NoCredentials_401WithBasicChallengeAndSpringBody()
    {
        await using var f = Secured();
        using var http = f.CreateClient();
        using var r = await http.GetAsync("/svc/default");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Contains("Basic", r.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(401, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32());
        using var health = await http.GetAsync("/actuator/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Basic_ReaderAndAdmin_ScopesDecide()
    {
        await using var f = Secured();
        using var http = f.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await SendAsync(http, HttpMethod.Get, "/svc/default", Basic("reader", "r-pass")));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(http, HttpMethod.Get, "/svc/default", Basic("reader", "wrong")));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(http, HttpMethod.Post, "/encrypt", Basic("reader", "r-pass")));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(http, HttpMethod.Post, "/monitor", Basic("reader", "r-pass")));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(http, HttpMethod.Post, "/encrypt", Basic("admin", "a-pass")));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(http, HttpMethod.Get, "/svc-default.yml", Basic("admin", "a-pass")));
    }

    [Fact]
    public async Task Basic_PasswordGuessing_ThrottledWith429EvenForTheRightPassword()
    {
        await using var f = Secured();
        using var http = f.CreateClient();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(http, HttpMethod.Get, "/svc/default", Basic("reader", "guess" + i)));
        }

        using var req = new HttpRequestMessage(HttpMethod.Get, "/svc/default");
        req.Headers.Authorization = Basic("reader", "r-pass");
        using var r = await http.SendAsync(req);

        Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
        Assert.NotNull(r.Headers.RetryAfter);
        // Requests without credentials are not counted and still get the ordinary challenge.
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(http, HttpMethod.Get, "/svc/default", null));
    }

    [Fact]
    public async Task Bearer_TokenFromAuthorityWithScope_Accepted()
    {
        using var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "test-key" };
        var port = FreePort.Next();
        var authority = $"http://127.0.0.1:{port}";
        var stubBuilder = WebApplication.CreateSlimBuilder();
        stubBuilder.WebHost.UseUrls(authority);
        await using var stub = stubBuilder.Build();
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "test-key" });
        stub.MapGet("/.well-known/openid-configuration", () => Results.Json(new { issuer = authority, jwks_uri = authority + "/jwks" }));
        stub.MapGet("/jwks", () => Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } }));
        await stub.StartAsync();

        string Token(string scope) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = authority,
            Subject = new ClaimsIdentity([new Claim("sub", "catalog-service"), new Claim("scope", scope)]),
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });

        await using var f = Secured(authority);
        using var http = f.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await SendAsync(http, HttpMethod.Get, "/svc/default", new("Bearer", Token("config.read"))));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(http, HttpMethod.Get, "/svc/default", new("Bearer", Token("orders.read"))));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(http, HttpMethod.Post, "/encrypt", new("Bearer", Token("config.read"))));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(http, HttpMethod.Post, "/encrypt", new("Bearer", Token("config.admin"))));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(http, HttpMethod.Get, "/svc/default", new("Bearer", Token("config.read") + "x")));
        await stub.StopAsync();
    }
}
