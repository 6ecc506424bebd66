using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace InfraService.Tests;

/// <summary>The service in memory: no Config.Server, no Discovery.Server, tokens signed with a test key instead of Auth.Server's.</summary>
public sealed class GreetingTests : IDisposable
{
    private const string Issuer = "http://auth.test";
    private static readonly RsaSecurityKey Key = new(RSA.Create(2048)) { KeyId = "test-key" };

    private readonly WebApplicationFactory<Program> _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
    {
        b.UseSetting("Spring:Cloud:Config:Enabled", "false");
        b.UseSetting("Eureka:Client:Enabled", "false");
        b.UseSetting("Greeting:Message", "hello from the test");
        b.ConfigureTestServices(s => s.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o =>
        {
            var config = new OpenIdConnectConfiguration { Issuer = Issuer };
            config.SigningKeys.Add(Key);
            o.Configuration = config;
            o.ConfigurationManager = null;
            o.Authority = null;
            o.TokenValidationParameters.ValidIssuer = Issuer;
            o.TokenValidationParameters.IssuerSigningKey = Key;
        }));
    });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Health_IsUp()
    {
        var response = await _factory.CreateClient().GetAsync(new Uri("/actuator/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Greeting_NoToken_Is401()
    {
        var response = await _factory.CreateClient().GetAsync(new Uri("/api/greeting", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Greeting_TokenWithoutTheScope_Is403()
    {
        var response = await Client(Token("other.scope")).GetAsync(new Uri("/api/greeting", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Greeting_TokenWithTheScope_AnswersTheConfiguredMessage()
    {
        var body = await Client(Token(GreetingOptions.ReadScope)).GetFromJsonAsync<GreetingBody>(new Uri("/api/greeting", UriKind.Relative));
        Assert.Equal("hello from the test", body?.Message);
        Assert.Equal("test-client", body?.Client);
    }

    private HttpClient Client(string token)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    // Shaped as Auth.Server issues access tokens: aud is the API resource, scope a JSON array.
    private static string Token(string scope) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        TokenType = "at+jwt",
        Expires = DateTime.UtcNow.AddMinutes(5),
        Claims = new Dictionary<string, object> { ["aud"] = "infraservice", ["client_id"] = "test-client", ["scope"] = new[] { scope } },
        SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256),
    });

    private sealed record GreetingBody(string? Message, string? Client);
}
