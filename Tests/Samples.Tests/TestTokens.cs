using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Samples.Tests;

/// <summary>Mints access tokens with a test key and points a service's JWT bearer validation at that key, standing in for Auth.Server.</summary>
internal static class TestTokens
{
    public const string Issuer = "http://auth.test";
    private static readonly RsaSecurityKey Key = new(RSA.Create(2048)) { KeyId = "test-key" };

    public static string Issue(string scopes, string sub = "alice", TimeSpan? lifetime = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            TokenType = "at+jwt",
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(10)),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = sub, ["client_id"] = "test", ["scope"] = scopes.Split(' '), ["aud"] = Audiences(scopes.Split(' ')),
            },
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>The audiences Auth.Server puts in a token for <paramref name="scopes"/> with the lab's API resources.</summary>
    public static string[] AudiencesOf(string scopes) => Audiences(scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    // Auth.Server's aud: the API resources (appsettings) holding any of the scopes.
    private static string[] Audiences(string[] scopes) =>
    [
        .. scopes.Contains("catalog.read") ? ["catalog"] : Array.Empty<string>(),
        .. scopes.Any(s => s.StartsWith("order.", StringComparison.Ordinal)) ? ["orders"] : Array.Empty<string>(),
        .. scopes.Any(s => s is "catalog.read" or "order.read" or "order.write" or "gateway.admin") ? ["gateway"] : Array.Empty<string>(),
    ];

    public static void UseTestIssuer(IServiceCollection services) =>
        services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o =>
        {
            var config = new OpenIdConnectConfiguration { Issuer = Issuer };
            config.SigningKeys.Add(Key);
            o.Configuration = config;
            o.ConfigurationManager = null;
            o.Authority = null;
            o.TokenValidationParameters.ValidIssuer = Issuer;
            o.TokenValidationParameters.IssuerSigningKey = Key;
        });
}
