using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>
/// Auth.Server in memory with the default lab configuration, its own key folder and optional overrides.
/// With <c>AUTH_TEST_STORE=postgres</c> every factory gets a database of its own, so the whole suite runs on PostgreSQL.
/// </summary>
public sealed class AuthServerFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IWebHostBuilder>? _configure;
    private readonly TestDatabase? _database;

    public AuthServerFactory(Dictionary<string, string?>? settings = null, Action<IWebHostBuilder>? configure = null, bool fileStore = false)
    {
        KeyFolder = Path.Combine(Path.GetTempPath(), "auth-tests-" + Guid.NewGuid().ToString("N"));
        _settings = new Dictionary<string, string?>(settings ?? [], StringComparer.OrdinalIgnoreCase);
        _settings.TryAdd("Auth:SigningKeys:Path", KeyFolder);
        if (PostgresMode && !fileStore && !_settings.ContainsKey("Auth:Postgres:ConnectionString"))
        {
            _database = new TestDatabase();
            _settings["Auth:Postgres:ConnectionString"] = _database.ConnectionString;
        }
        _configure = configure;
    }

    /// <summary>Whether the suite runs against PostgreSQL (<c>AUTH_TEST_STORE=postgres</c>).</summary>
    public static bool PostgresMode => Environment.GetEnvironmentVariable("AUTH_TEST_STORE") == "postgres";

    public string KeyFolder { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }
        _configure?.Invoke(builder);
    }

    /// <summary>A client that keeps cookies and does not follow redirects (to read codes from Location).</summary>
    public HttpClient Browser() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _database?.Dispose();
        try
        {
            Directory.Delete(KeyFolder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>Protocol helpers the tests share.</summary>
internal static class Protocol
{
    public static AuthenticationHeaderValue Basic(string id, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(id) + ":" + Uri.EscapeDataString(secret))));

    public static async Task<(HttpResponseMessage Response, JsonElement Body)> PostFormAsync(HttpClient http, string path, Dictionary<string, string> form, AuthenticationHeaderValue? auth = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = auth;
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json"
            ? JsonDocument.Parse(text).RootElement.Clone()
            : default;
        return (response, body);
    }

    public static Task<(HttpResponseMessage Response, JsonElement Body)> TokenAsync(HttpClient http, string clientId, string? secret, Dictionary<string, string> form)
    {
        if (secret is null)
        {
            form["client_id"] = clientId;
            return PostFormAsync(http, "/connect/token", form);
        }
        return PostFormAsync(http, "/connect/token", form, Basic(clientId, secret));
    }

    public static async Task<string> ClientCredentialsTokenAsync(HttpClient http, string scope = "catalog.read", string clientId = "lab-client", string secret = "lab-secret")
    {
        var (r, body) = await TokenAsync(http, clientId, secret, new() { ["grant_type"] = "client_credentials", ["scope"] = scope });
        Assert.Equal(System.Net.HttpStatusCode.OK, r.StatusCode);
        return body.GetProperty("access_token").GetString()!;
    }

    /// <summary>What a resource server does: discovery document, then JWKS, then signature, issuer, audience, lifetime and type.</summary>
    public static async Task<TokenValidationResult> ValidateLikeResourceServerAsync(HttpClient http, string token, string? audience, string tokenType = "at+jwt")
    {
        var manager = new ConfigurationManager<OpenIdConnectConfiguration>(
            new Uri(http.BaseAddress!, "/.well-known/openid-configuration").ToString(),
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(http) { RequireHttps = false });
        var config = await manager.GetConfigurationAsync(CancellationToken.None);
        return await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = config.Issuer,
            IssuerSigningKeys = config.SigningKeys,
            ValidAudience = audience,
            ValidateAudience = audience is not null,
            ValidTypes = [tokenType],
        });
    }

    public static JsonWebToken Read(string jwt) => new(jwt);
}
