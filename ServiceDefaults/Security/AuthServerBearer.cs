using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Infrastructure.ServiceDefaults.Security;

/// <summary>
/// The one way every server and sample validates Auth.Server's access tokens (JwtBearer against the authority's discovery
/// document and JWKS), with one HTTPS-metadata rule and one scope check.
/// </summary>
public static class AuthServerBearer
{
    /// <summary>
    /// Whether the authority's metadata must come over https: as configured, else yes unless the authority is on
    /// loopback (a lab on one machine), as ASP.NET Core requires by default.
    /// </summary>
    public static bool RequireHttpsMetadata(string? authority, bool? configured) =>
        configured ?? !IsLoopback(authority);

    /// <summary>True for <c>http(s)://127.0.0.1</c>, <c>[::1]</c> or <c>localhost</c> authorities.</summary>
    public static bool IsLoopback(string? authority) =>
        Uri.TryCreate(authority, UriKind.Absolute, out var uri)
        && (uri.IsLoopback || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)));

    /// <summary>
    /// Sets <paramref name="options"/> for tokens from <paramref name="authority"/>: claims keep their JWT names (<c>scope</c>,
    /// <c>sub</c>, <c>client_id</c>), the audience is checked when one is given (IdentityServer4 resource servers always
    /// check it), and a valid token lacking a scope is answered 403 with <c>insufficient_scope</c> (RFC 6750 §3.1).
    /// </summary>
    public static void Configure(JwtBearerOptions options, string? authority, string? audience, bool? requireHttpsMetadata = null)
    {
        options.MapInboundClaims = false;
        if (!string.IsNullOrWhiteSpace(authority))
        {
            options.Authority = authority;
        }
        options.RequireHttpsMetadata = RequireHttpsMetadata(authority, requireHttpsMetadata);
        options.TokenValidationParameters.ValidateAudience = !string.IsNullOrWhiteSpace(audience);
        options.TokenValidationParameters.ValidAudience = string.IsNullOrWhiteSpace(audience) ? null : audience;
        options.TokenValidationParameters.NameClaimType = "sub";
        options.Events ??= new JwtBearerEvents();
        options.Events.OnForbidden = context =>
        {
            // JwtBearer's own 403 carries no reason.
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"insufficient_scope\"";
            return Task.CompletedTask;
        };
    }
}

/// <summary>OAuth 2.0 scopes on a validated token.</summary>
public static class Scopes
{
    // Only where a handler maps inbound claims (MapInboundClaims = true) does "scope" arrive under this name.
    private const string MappedScopeClaim = "http://schemas.microsoft.com/identity/claims/scope";

    /// <summary>
    /// Whether <paramref name="user"/> was granted <paramref name="scope"/> (ordinal): tokens carry <c>scope</c> as one
    /// space-separated string (RFC 9068) or, as IdentityServer4 issues them, one claim per scope.
    /// </summary>
    public static bool Has(ClaimsPrincipal user, string scope)
    {
        foreach (var claim in user.Claims)
        {
            if (claim.Type is not ("scope" or MappedScopeClaim))
            {
                continue;
            }
            foreach (var s in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (string.Equals(s, scope, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
