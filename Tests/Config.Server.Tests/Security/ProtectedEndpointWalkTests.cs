using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Config.Server.Tests.Security;

/// <summary>
/// Every configuration read and every write, walked one by one in Production with its default security: no credentials
/// 401; a Basic user and a bearer token without the needed scope 403; with it (<c>config.read</c> for reads,
/// <c>config.admin</c> for the rest) anything but 401/403. The guard fails when a write endpoint is in neither list.
/// </summary>
public sealed class ProtectedEndpointWalkTests(ProtectedEndpointWalkTests.Fixture fixture) : IClassFixture<ProtectedEndpointWalkTests.Fixture>
{
    private const string Read = "config.read";
    private const string Admin = "config.admin";
    private const string FileRoute = @"regex(^.+\.(yml|yaml|properties|json)$)";

    /// <summary>
    /// (method, route as mapped, a path to call, the scope it needs, whether only the PostgreSQL backend maps it).
    /// docs/Config.Server.md lists the same.
    /// </summary>
    private static readonly (string Method, string Route, string Path, string Scope, bool Postgres)[] Walked =
    [
        ("GET", "/{application}/{profile}", "/svc/default", Read, false),
        ("GET", "/{application}/{profile}/{label}", "/svc/default/master", Read, false),
        ("GET", "/{file:" + FileRoute + "}", "/svc-default.yml", Read, false),
        ("GET", "/{label}/{file:" + FileRoute + "}", "/master/svc-default.properties", Read, false),
        ("GET", "/{application}/{profile}/{label}/{**path}", "/svc/default/master/note.txt", Read, false),
        ("GET", "/monitor/events", "/monitor/events", Read, false),
        ("POST", "/monitor", "/monitor", Admin, false),
        ("GET", "/encrypt/status", "/encrypt/status", Admin, false),
        ("POST", "/encrypt", "/encrypt", Admin, false),
        ("POST", "/decrypt", "/decrypt", Admin, false),
        ("PUT", "/admin/properties/{application}/{profile}/{label}/{key}", "/admin/properties/svc/default/master/a", Admin, true),
        ("DELETE", "/admin/properties/{application}/{profile}/{label}/{key}", "/admin/properties/svc/default/master/a", Admin, true),
        ("GET", "/admin/history", "/admin/history", Admin, true),
    ];

    /// <summary>Mapped for every method yet open on purpose: read-only health and metrics (Spring's config server leaves health open too).</summary>
    private static readonly (string Method, string Route)[] Open =
    [
        .. EndpointWalk.ReadOnlyActuator,
    ];

    public static TheoryData<string, string, string, bool> Rows()
    {
        var rows = new TheoryData<string, string, string, bool>();
        foreach (var (method, _, path, scope, postgres) in Walked)
        {
            rows.Add(method, path, scope, postgres);
        }
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Production_Endpoint_NoCredentials401_WrongScope403_RightScopeThrough(string method, string path, string scope, bool postgres)
    {
        var http = postgres ? fixture.Postgres : fixture.Native;
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(http, method, path, null));

        // A reader may not write; a user or token with some other scope may not even read.
        var (wrongUser, wrongToken) = scope == Admin ? ("reader", Read) : ("stranger", "orders.read");
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(http, method, path, Basic(wrongUser)));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(http, method, path, new("Bearer", fixture.Token(wrongToken))));

        var (rightUser, rightToken) = scope == Admin ? ("admin", Admin) : ("reader", Read);
        foreach (var credentials in new AuthenticationHeaderValue[] { Basic(rightUser), new("Bearer", fixture.Token(rightToken)) })
        {
            var status = await StatusAsync(http, method, path, credentials);
            Assert.NotEqual(HttpStatusCode.Unauthorized, status);
            Assert.NotEqual(HttpStatusCode.Forbidden, status);
        }
    }

    [Fact]
    public void EveryWriteEndpoint_IsWalkedOrOpenOnPurpose()
    {
        // The PostgreSQL-shaped server maps everything the native one does, and the admin API besides.
        var problem = EndpointWalk.Unlisted(fixture.PostgresFactory.Services, Walked.Select(w => (w.Method, w.Route)), Open);
        Assert.True(problem is null, problem);
    }

    private static AuthenticationHeaderValue Basic(string user) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + user + "-pass")));

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string method, string path, AuthenticationHeaderValue? credentials)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = credentials;
        if (method is "POST" or "PUT")
        {
            request.Content = new StringContent("walk", Encoding.UTF8, "text/plain");
        }
        // Headers only: /monitor/events is a stream that never ends on its own.
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }

    /// <summary>
    /// Two servers in Production with default security: the native backend, and one shaped for PostgreSQL so the admin
    /// API is mapped. That one needs routes, not a database: its connection string points at a closed port and the
    /// listener that would create the schema at start is left out, so an authorized admin call fails reaching the
    /// database (a 5xx) — past authorization, which is all the walk asks.
    /// </summary>
    public sealed class Fixture : IDisposable
    {
        // Loopback, so the server does not insist on an https authority; nothing is fetched from it.
        private const string Issuer = "http://127.0.0.1:1";
        private readonly TempDir _dir = new();
        private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "walk-key" };
        private readonly WalkServer _native;

        public Fixture()
        {
            _dir.Write("svc.yml", "a: 1\n");
            _dir.Write("note.txt", "hello\n");
            var settings = new Dictionary<string, string?>
            {
                ["ConfigServer:Native:SearchLocations"] = _dir.Path,
                ["ConfigServer:Encrypt:Key"] = "walk-key",
                ["ConfigServer:Security:Authority"] = Issuer,
                ["ConfigServer:Security:Users:0:Username"] = "reader",
                ["ConfigServer:Security:Users:0:Password"] = "reader-pass",
                ["ConfigServer:Security:Users:1:Username"] = "admin",
                ["ConfigServer:Security:Users:1:Password"] = "admin-pass",
                ["ConfigServer:Security:Users:1:Scopes"] = "config.read config.admin",
                ["ConfigServer:Security:Users:2:Username"] = "stranger",
                ["ConfigServer:Security:Users:2:Password"] = "stranger-pass",
                ["ConfigServer:Security:Users:2:Scopes"] = "orders.read",
            };
            _native = new WalkServer(settings, _key, Issuer);
            PostgresFactory = new WalkServer(new Dictionary<string, string?>(settings)
            {
                ["ConfigServer:Postgres:ConnectionString"] = "Host=127.0.0.1;Port=1;Username=walk;Timeout=2",
            }, _key, Issuer, withoutPostgresListener: true);
            Native = _native.CreateClient();
            Postgres = PostgresFactory.CreateClient();
        }

        public HttpClient Native { get; }

        public HttpClient Postgres { get; }

        internal WebApplicationFactory<Program> PostgresFactory { get; }

        public string Token(string scope) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = "walker", ["scope"] = scope },
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });

        public void Dispose()
        {
            Native.Dispose();
            Postgres.Dispose();
            _native.Dispose();
            PostgresFactory.Dispose();
            _dir.Dispose();
        }
    }

    /// <summary>Config.Server in Production (security on by default) trusting bearer tokens signed with the test key.</summary>
    private sealed class WalkServer(Dictionary<string, string?> settings, SecurityKey key, string issuer, bool withoutPostgresListener = false) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            foreach (var (k, v) in settings)
            {
                builder.UseSetting(k, v);
            }
            builder.ConfigureTestServices(services =>
            {
                // The authority's discovery document, as it would have been fetched: issuer and key, no network.
                services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o =>
                {
                    var config = new OpenIdConnectConfiguration { Issuer = issuer };
                    config.SigningKeys.Add(key);
                    o.Configuration = config;
                    o.ConfigurationManager = null;
                    o.TokenValidationParameters.ValidIssuer = issuer;
                    o.TokenValidationParameters.IssuerSigningKey = key;
                });
                if (withoutPostgresListener)
                {
                    // The PostgreSQL listener is the only hosted service Config.Server registers through a factory of its own.
                    var listener = services.Single(d => d.ServiceType == typeof(IHostedService)
                        && d.ImplementationFactory?.Method.DeclaringType?.Assembly == typeof(Program).Assembly);
                    services.Remove(listener);
                }
            });
        }
    }
}
