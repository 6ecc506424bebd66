using System.Security.Cryptography;
using Infrastructure.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Gateway.Security;

/// <summary>JWT bearer validation for the gateway (Microsoft.AspNetCore.Authentication.JwtBearer), configured from <c>Gateway:Security</c>.</summary>
internal static class SecurityExtensions
{
    public const string AdminPolicy = "gateway.admin";

    public static IHostApplicationBuilder AddGatewaySecurity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewaySecurityOptions>().BindConfiguration(GatewaySecurityOptions.SectionName);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<GatewaySecurityOptions>>((o, security) => Configure(o, security.Value));
        builder.Services.AddAuthorizationBuilder().AddPolicy(AdminPolicy, p => p
            .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(c => c.Resource is HttpContext http
                && Scopes.Has(c.User, http.RequestServices.GetRequiredService<IOptions<GatewaySecurityOptions>>().Value.AdminScope)));
        builder.Services.AddSingleton<RouteScopeAuthorizer>();
        return builder;
    }

    private static void Configure(JwtBearerOptions o, GatewaySecurityOptions settings)
    {
        o.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = settings.Issuer is not null || settings.Authority is not null,
            ValidIssuer = settings.Issuer ?? settings.Authority,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        };
        AuthServerBearer.Configure(o, settings.Authority, settings.Audience, settings.RequireHttpsMetadata);
        if (settings.SigningKeys.Count > 0)
        {
            o.TokenValidationParameters.IssuerSigningKeys = settings.SigningKeys.Select(ParseKey).ToList();
        }
        else if (string.IsNullOrWhiteSpace(settings.Authority))
        {
            // Nothing to trust: every token fails validation, so protected endpoints answer 401.
            o.TokenValidationParameters.IssuerSigningKeys = [];
        }
    }

    private static SecurityKey ParseKey(string pem)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            rsa.Dispose();
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return new ECDsaSecurityKey(ec);
        }
    }
}
