using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Infrastructure.Samples.Shared.Security;

/// <summary>Bearer-token validation against Auth.Server and scope policies, shared by the sample services.</summary>
public static class ScopeAuthExtensions
{
    /// <summary>Policy name for a scope, e.g. <c>scope:catalog.read</c>.</summary>
    public static string Policy(string scope) => "scope:" + scope;

    /// <summary>
    /// Validates JWT access tokens issued by <c>Auth:Authority</c> (discovery document + JWKS, keys refreshed on an
    /// unknown kid), the audience when <c>Auth:Audience</c> is set, and adds one policy per scope.
    /// </summary>
    public static IHostApplicationBuilder AddScopeAuthorization(this IHostApplicationBuilder builder, params string[] scopes)
    {
        var authority = builder.Configuration["Auth:Authority"] ?? "http://127.0.0.1:9000";
        var audience = builder.Configuration["Auth:Audience"];
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(o =>
            {
                o.Authority = authority;
                o.RequireHttpsMetadata = authority.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
                o.MapInboundClaims = false;
                o.TokenValidationParameters.ValidateAudience = !string.IsNullOrEmpty(audience);
                o.TokenValidationParameters.ValidAudience = audience;
                o.TokenValidationParameters.NameClaimType = "sub";
            });
        var auth = builder.Services.AddAuthorizationBuilder();
        foreach (var scope in scopes)
        {
            auth.AddPolicy(Policy(scope), p => p.RequireAuthenticatedUser().RequireAssertion(ctx => HasScope(ctx.User, scope)));
        }
        return builder;
    }

    /// <summary>Whether the principal was granted <paramref name="scope"/>; tokens carry <c>scope</c> as a JSON array or a space-separated string.</summary>
    public static bool HasScope(ClaimsPrincipal user, string scope)
    {
        foreach (var claim in user.FindAll("scope"))
        {
            foreach (var s in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (s == scope) { return true; }
            }
        }
        return false;
    }
}
