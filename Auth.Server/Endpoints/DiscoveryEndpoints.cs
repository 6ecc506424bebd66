using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Keys;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.Auth.Server.Tokens;

namespace Infrastructure.Auth.Server.Endpoints;

/// <summary>OpenID Connect Discovery 1.0 document and JWKS at IdentityServer4's paths.</summary>
internal static class DiscoveryEndpoints
{
    public const string ConfigurationPath = "/.well-known/openid-configuration";
    public const string JwksPath = "/.well-known/openid-configuration/jwks";

    public static async Task<IResult> DocumentAsync(HttpContext context, IssuerResolver issuers, IResourceStore store, KeyManager keys)
    {
        var ct = context.RequestAborted;
        var issuer = issuers.GetIssuer(context);
        var resources = await store.GetResourcesAsync(ct);
        var ring = await keys.GetKeyRingAsync(ct);
        var scopes = resources.IdentityResources.Select(r => r.Name)
            .Concat(resources.ApiScopes.Select(s => s.Name))
            .Append(OidcConstants.OfflineAccess)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var claims = resources.IdentityResources.SelectMany(r => r.UserClaims).Prepend("sub").Distinct(StringComparer.Ordinal).ToList();
        var document = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = issuer + JwksPath,
            ["authorization_endpoint"] = issuer + "/connect/authorize",
            ["token_endpoint"] = issuer + "/connect/token",
            ["userinfo_endpoint"] = issuer + "/connect/userinfo",
            ["end_session_endpoint"] = issuer + "/connect/endsession",
            ["revocation_endpoint"] = issuer + "/connect/revocation",
            ["introspection_endpoint"] = issuer + "/connect/introspect",
            ["frontchannel_logout_supported"] = false,
            ["backchannel_logout_supported"] = false,
            ["scopes_supported"] = scopes,
            ["claims_supported"] = claims,
            ["grant_types_supported"] = OidcConstants.SupportedGrantTypes,
            ["response_types_supported"] = new[] { "code" },
            ["response_modes_supported"] = new[] { "query" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
            ["revocation_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
            ["introspection_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
            ["id_token_signing_alg_values_supported"] = new[] { ring.Signing.Stored.Algorithm },
            ["subject_types_supported"] = new[] { "public" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["request_parameter_supported"] = false,
            ["authorization_response_iss_parameter_supported"] = true,
        };
        context.Response.Headers.CacheControl = "max-age=3600, public";
        return Results.Json(document);
    }

    public static async Task<IResult> JwksAsync(HttpContext context, KeyManager keys)
    {
        var ring = await keys.GetKeyRingAsync(context.RequestAborted);
        var jwks = ring.Published.Select(k => k.PublicJwk).Select(ToJson).ToList();
        context.Response.Headers.CacheControl = "max-age=3600, public";
        return Results.Json(new { keys = jwks });
    }

    // JsonWebKey's own properties serialize with .NET names; the RFC 7517 member names are written here from its values.
    private static Dictionary<string, object> ToJson(Microsoft.IdentityModel.Tokens.JsonWebKey k)
    {
        var d = new Dictionary<string, object>(StringComparer.Ordinal) { ["kty"] = k.Kty, ["use"] = k.Use, ["kid"] = k.Kid, ["alg"] = k.Alg };
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                d[name] = value;
            }
        }
        Add("e", k.E);
        Add("n", k.N);
        Add("crv", k.Crv);
        Add("x", k.X);
        Add("y", k.Y);
        return d;
    }
}
