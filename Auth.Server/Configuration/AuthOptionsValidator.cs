using Infrastructure.Auth.Server.Keys;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server.Configuration;

/// <summary>Start-up checks of the <c>Auth:</c> objects: unique ids, known grant types and scopes, redirect URIs, secret form.</summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions o)
    {
        var errors = new List<string>();
        var plaintext = o.PlaintextSecrets ?? environment.IsDevelopment();
        var apiScopes = o.ApiScopes.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var identity = o.IdentityResources.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        Duplicates(o.Clients.Select(c => c.ClientId), "Auth:Clients ClientId", errors);
        Duplicates(o.ApiScopes.Select(c => c.Name).Concat(o.IdentityResources.Select(r => r.Name)), "scope name (ApiScopes and IdentityResources)", errors);
        Duplicates(o.ApiResources.Select(c => c.Name), "Auth:ApiResources Name", errors);
        Duplicates(o.Users.Select(c => c.SubjectId), "Auth:Users SubjectId", errors);
        Duplicates(o.Users.Select(c => c.Username.ToUpperInvariant()), "Auth:Users Username", errors);

        for (var i = 0; i < o.Clients.Count; i++)
        {
            var c = o.Clients[i];
            var at = $"Auth:Clients:{i} ({c.ClientId})";
            if (string.IsNullOrWhiteSpace(c.ClientId))
            {
                errors.Add($"{at}: ClientId is required");
            }
            foreach (var g in c.AllowedGrantTypes.Where(g => !OidcConstants.SupportedGrantTypes.Contains(g)))
            {
                errors.Add($"{at}: AllowedGrantTypes '{g}' is not one of {string.Join(", ", OidcConstants.SupportedGrantTypes)}");
            }
            if (c.RequireClientSecret && c.ClientSecrets.Count == 0)
            {
                errors.Add($"{at}: RequireClientSecret is true but ClientSecrets is empty");
            }
            if (!c.RequireClientSecret && c.AllowedGrantTypes.Contains(OidcConstants.ClientCredentials))
            {
                errors.Add($"{at}: a public client (RequireClientSecret false) cannot use client_credentials");
            }
            CheckSecrets(c.ClientSecrets, at + " ClientSecrets", plaintext, errors);
            foreach (var s in c.AllowedScopes.Where(s => !apiScopes.Contains(s) && !identity.Contains(s)))
            {
                errors.Add($"{at}: AllowedScopes '{s}' is neither an ApiScope nor an IdentityResource");
            }
            if (c.AllowedGrantTypes.Contains(OidcConstants.AuthorizationCode) && c.RedirectUris.Count == 0)
            {
                errors.Add($"{at}: authorization_code needs at least one RedirectUris entry");
            }
            foreach (var u in c.RedirectUris.Concat(c.PostLogoutRedirectUris))
            {
                if (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Fragment.Length > 0)
                {
                    errors.Add($"{at}: '{u}' must be an absolute URI without a fragment");
                }
            }
            foreach (var origin in c.AllowedCorsOrigins)
            {
                if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || origin.EndsWith('/'))
                {
                    errors.Add($"{at}: AllowedCorsOrigins '{origin}' must be an origin (scheme://host[:port]) without a path");
                }
            }
        }
        for (var i = 0; i < o.ApiResources.Count; i++)
        {
            var r = o.ApiResources[i];
            foreach (var s in r.Scopes.Where(s => !apiScopes.Contains(s)))
            {
                errors.Add($"Auth:ApiResources:{i} ({r.Name}): Scopes '{s}' is not an ApiScope");
            }
            CheckSecrets(r.ApiSecrets, $"Auth:ApiResources:{i} ({r.Name}) ApiSecrets", plaintext, errors);
        }
        if (o.IssuerUri is { } issuer && !Uri.TryCreate(issuer, UriKind.Absolute, out _))
        {
            errors.Add("Auth:IssuerUri must be an absolute URI");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckSecrets(List<SecretOptions> secrets, string at, bool plaintext, List<string> errors)
    {
        foreach (var s in secrets)
        {
            if (string.IsNullOrEmpty(s.Value))
            {
                errors.Add($"{at}: empty secret");
            }
            else if (!plaintext && !SecretHasher.IsHash(s.Value))
            {
                errors.Add($"{at}: outside Development a secret must be IdentityServer4's \"secret\".Sha256() (base64 SHA-256), or set Auth:PlaintextSecrets=true");
            }
        }
    }

    private static void Duplicates(IEnumerable<string> values, string what, List<string> errors)
    {
        foreach (var d in values.GroupBy(v => v, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"duplicate {what} '{d.Key}'");
        }
    }
}

/// <summary>Start-up checks of <c>Auth:SigningKeys</c>.</summary>
internal sealed class SigningKeyOptionsValidator : IValidateOptions<SigningKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, SigningKeyOptions o)
    {
        if (o.RotationInterval <= TimeSpan.Zero || o.PropagationTime < TimeSpan.Zero || o.RetentionTime < TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail("Auth:SigningKeys intervals must be positive");
        }
        return o.PropagationTime >= o.RotationInterval
            ? ValidateOptionsResult.Fail("Auth:SigningKeys:PropagationTime must be shorter than RotationInterval")
            : ValidateOptionsResult.Success;
    }
}
