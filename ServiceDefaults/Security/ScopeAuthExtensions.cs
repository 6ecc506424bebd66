using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Infrastructure.ServiceDefaults.Security;

/// <summary>Bearer-token validation against Auth.Server and scope policies, for resource servers (the samples, services built on the packages).</summary>
public static class ScopeAuthExtensions
{
    /// <summary>Policy name for a scope, e.g. <c>scope:catalog.read</c>.</summary>
    public static string Policy(string scope) => "scope:" + scope;

    /// <summary>
    /// Validates JWT access tokens issued by <c>Auth:Authority</c> (discovery document + JWKS, keys refreshed on an
    /// unknown kid) for <paramref name="audience"/> (the service's API resource name at Auth.Server, overridden by
    /// <c>Auth:Audience</c>), and adds one policy per scope; a token without the scope gets 403 with <c>insufficient_scope</c>.
    /// </summary>
    public static IHostApplicationBuilder AddScopeAuthorization(this IHostApplicationBuilder builder, string audience, string[] scopes)
    {
        var authority = builder.Configuration["Auth:Authority"] ?? "http://127.0.0.1:9000";
        var configured = builder.Configuration["Auth:Audience"];
        // IdentityServer4 resource servers always check aud: without it a token Auth.Server issued for another API (say
        // "auth", for its admin scope) would pass the signature and issuer checks here too.
        var expectedAudience = string.IsNullOrEmpty(configured) ? audience : configured;
        var requireHttps = bool.TryParse(builder.Configuration["Auth:RequireHttpsMetadata"], out var r) ? r : (bool?)null;
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(o => AuthServerBearer.Configure(o, authority, expectedAudience, requireHttps));
        var auth = builder.Services.AddAuthorizationBuilder();
        foreach (var scope in scopes)
        {
            auth.AddPolicy(Policy(scope), p => p.RequireAuthenticatedUser().RequireAssertion(ctx => HasScope(ctx.User, scope)));
        }
        return builder;
    }

    /// <summary>Whether the principal was granted <paramref name="scope"/> (see <see cref="Scopes.Has"/>).</summary>
    public static bool HasScope(ClaimsPrincipal user, string scope) => Scopes.Has(user, scope);
}
