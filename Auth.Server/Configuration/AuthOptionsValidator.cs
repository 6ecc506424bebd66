using Infrastructure.Auth.Server.Keys;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server.Configuration;

/// <summary>What the check of the <c>Auth:</c> objects found: errors stop the server, warnings are logged and it starts.</summary>
internal sealed record AuthConfigurationFindings(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings);

/// <summary>
/// Start-up checks of the <c>Auth:</c> objects. IdentityServer4 accepts almost any configuration and fails requests at
/// run time, so a value that is well formed but names something missing or not implemented (a scope, a grant type) is
/// a warning and the request that needs it fails as it would there. Refused are only values nothing could use:
/// ambiguous ids, malformed URIs and origins, secrets in the wrong form, lifetimes and limits below one, and a public
/// client_credentials client (tokens for anyone who knows the client id).
/// </summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment, IConfiguration? configuration = null) : IValidateOptions<AuthOptions>
{
    /// <summary>IdentityServer4 grant types Auth.Server does not implement.</summary>
    private static readonly string[] NotImplementedGrantTypes =
        ["implicit", "hybrid", "urn:ietf:params:oauth:grant-type:device_code", "urn:openid:params:grant-type:ciba"];

    public ValidateOptionsResult Validate(string? name, AuthOptions o)
    {
        var errors = Check(o).Errors.ToList();
        if (configuration is not null)
        {
            // A list element whose value does not convert is missing from the bound options, so it is looked for in the keys.
            errors.AddRange(ConfigurationShape.UnreadableElements(configuration.GetSection(AuthOptions.SectionName), typeof(AuthOptions)));
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public AuthConfigurationFindings Check(AuthOptions o)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var plaintext = o.PlaintextSecrets ?? environment.IsDevelopment();
        var apiScopes = o.ApiScopes.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var identity = o.IdentityResources.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        Duplicates(o.Clients.Select(c => c.ClientId), "Auth:Clients ClientId", errors);
        Duplicates(o.ApiScopes.Select(c => c.Name).Concat(o.IdentityResources.Select(r => r.Name)), "scope name (ApiScopes and IdentityResources)", errors);
        Duplicates(o.ApiResources.Select(c => c.Name), "Auth:ApiResources Name", errors);
        Duplicates(o.Users.Select(c => c.SubjectId), "Auth:Users SubjectId", errors);
        Duplicates(o.Users.Select(c => c.Username.ToUpperInvariant()), "Auth:Users Username", errors);

        if (o.Clients.Count == 0)
        {
            warnings.Add("Auth:Clients is empty, so no client can get a token (unless the PostgreSQL store already holds clients); "
                + "configure one with Auth:Clients:0:ClientId, Auth:Clients:0:ClientSecrets:0:Value, Auth:Clients:0:AllowedGrantTypes:0 "
                + "and Auth:Clients:0:AllowedScopes:0 (the lab's clients are in appsettings.Development.json, read only in Development)");
        }
        for (var i = 0; i < o.Clients.Count; i++)
        {
            CheckClient(o.Clients[i], $"Auth:Clients:{i} ({o.Clients[i].ClientId})", plaintext, apiScopes, identity, errors, warnings);
        }
        for (var i = 0; i < o.ApiScopes.Count; i++)
        {
            CheckScopeName(o.ApiScopes[i].Name, $"Auth:ApiScopes:{i}", errors);
        }
        for (var i = 0; i < o.IdentityResources.Count; i++)
        {
            CheckScopeName(o.IdentityResources[i].Name, $"Auth:IdentityResources:{i}", errors);
        }
        for (var i = 0; i < o.ApiResources.Count; i++)
        {
            var r = o.ApiResources[i];
            var at = $"Auth:ApiResources:{i} ({r.Name})";
            if (string.IsNullOrWhiteSpace(r.Name) || HasControlCharacter(r.Name))
            {
                errors.Add($"{at}: Name is required and may not contain control characters (it is the tokens' aud)");
            }
            foreach (var s in r.Scopes.Where(s => !apiScopes.Contains(s)))
            {
                warnings.Add($"{at}: Scopes '{s}' is not an ApiScope, so it puts no token in this audience");
            }
            CheckSecrets(r.ApiSecrets, at + " ApiSecrets", plaintext, errors);
        }
        for (var i = 0; i < o.Users.Count; i++)
        {
            var u = o.Users[i];
            var at = $"Auth:Users:{i} ({u.Username})";
            if (string.IsNullOrWhiteSpace(u.SubjectId) || HasControlCharacter(u.SubjectId))
            {
                errors.Add($"{at}: SubjectId is required and may not contain control characters (it is the tokens' sub)");
            }
            if (string.IsNullOrWhiteSpace(u.Username) || HasControlCharacter(u.Username))
            {
                errors.Add($"{at}: Username is required and may not contain control characters");
            }
            if (string.IsNullOrEmpty(u.Password))
            {
                warnings.Add($"{at}: Password is empty, so this user cannot sign in (IdentityServer4's TestUserStore would accept an empty password)");
            }
        }
        if (o.IssuerUri is { } issuer && !TryAbsolute(issuer, out _))
        {
            errors.Add("Auth:IssuerUri must be an absolute URI");
        }
        if (o.Lockout.MaxFailedAccessAttempts < 1 || o.Lockout.DefaultLockoutTimeSpan < TimeSpan.Zero)
        {
            errors.Add("Auth:Lockout: MaxFailedAccessAttempts must be at least 1 and DefaultLockoutTimeSpan not negative");
        }
        if (o.ClientAuthenticationThrottle.PermitLimit < 1 || o.ClientAuthenticationThrottle.Window <= TimeSpan.Zero)
        {
            errors.Add("Auth:ClientAuthenticationThrottle: PermitLimit must be at least 1 and Window positive");
        }
        return new AuthConfigurationFindings(errors, warnings);
    }

    private static void CheckClient(
        ClientOptions c, string at, bool plaintext, HashSet<string> apiScopes, HashSet<string> identity, List<string> errors, List<string> warnings)
    {
        if (string.IsNullOrWhiteSpace(c.ClientId) || HasControlCharacter(c.ClientId))
        {
            errors.Add($"{at}: ClientId is required and may not contain control characters");
        }
        if (c.AllowedGrantTypes.Count == 0)
        {
            warnings.Add($"{at}: AllowedGrantTypes is empty, so this client can get no token");
        }
        foreach (var g in c.AllowedGrantTypes.Where(g => !OidcConstants.SupportedGrantTypes.Contains(g)))
        {
            var what = NotImplementedGrantTypes.Contains(g) ? "is not implemented by Auth.Server" : "is not a grant type Auth.Server knows";
            warnings.Add($"{at}: AllowedGrantTypes '{g}' {what} ({string.Join(", ", OidcConstants.SupportedGrantTypes)}); requests for it are refused");
        }
        if (c.RequireClientSecret && c.ClientSecrets.Count == 0)
        {
            warnings.Add($"{at}: RequireClientSecret is true but ClientSecrets is empty, so this client cannot authenticate");
        }
        if (!c.RequireClientSecret && c.AllowedGrantTypes.Contains(OidcConstants.ClientCredentials))
        {
            errors.Add($"{at}: a public client (RequireClientSecret false) cannot use client_credentials: anyone who knows the client id would get tokens");
        }
        if (c.IsPublic && !c.RequirePkce)
        {
            warnings.Add($"{at}: RequirePkce false is ignored for a public client; PKCE is always required there");
        }
        CheckSecrets(c.ClientSecrets, at + " ClientSecrets", plaintext, errors);
        foreach (var s in c.AllowedScopes)
        {
            if (s == OidcConstants.OfflineAccess)
            {
                // IdentityServer4 grants offline_access by AllowOfflineAccess alone; listing it here changes nothing.
                if (!c.AllowOfflineAccess)
                {
                    warnings.Add($"{at}: AllowedScopes 'offline_access' has no effect; refresh tokens need AllowOfflineAccess true");
                }
            }
            else if (!apiScopes.Contains(s) && !identity.Contains(s))
            {
                var hint = s is OidcConstants.OpenId or "profile" or "email" ? $" (add Auth:IdentityResources:N:Name={s})" : "";
                warnings.Add($"{at}: AllowedScopes '{s}' is neither an ApiScope nor an IdentityResource, so requests for it get invalid_scope{hint}");
            }
        }
        if (c.AllowedGrantTypes.Contains(OidcConstants.AuthorizationCode) && c.RedirectUris.Count == 0)
        {
            warnings.Add($"{at}: authorization_code without RedirectUris, so every authorize request for this client is refused");
        }
        foreach (var u in c.RedirectUris.Concat(c.PostLogoutRedirectUris))
        {
            if (!TryAbsolute(u, out var uri) || uri.Fragment.Length > 0 || HasControlCharacter(u))
            {
                errors.Add($"{at}: '{u}' must be an absolute URI without a fragment");
            }
            else if (!u.All(char.IsAscii))
            {
                // It goes into a Location header as written, and Kestrel refuses non-ASCII there.
                errors.Add($"{at}: '{u}' must be written in ASCII (punycode host, percent-encoded path)");
            }
        }
        foreach (var origin in c.AllowedCorsOrigins)
        {
            if (!TryAbsolute(origin, out var uri) || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                errors.Add($"{at}: AllowedCorsOrigins '{origin}' must be an origin (scheme://host[:port]) without a path");
            }
        }
        if (c.AccessTokenLifetime < 1 || c.IdentityTokenLifetime < 1 || c.AuthorizationCodeLifetime < 1 || c.AbsoluteRefreshTokenLifetime < 1)
        {
            errors.Add($"{at}: AccessTokenLifetime, IdentityTokenLifetime, AuthorizationCodeLifetime and AbsoluteRefreshTokenLifetime must be at least 1 second");
        }
    }

    private static void CheckScopeName(string name, string at, List<string> errors)
    {
        // Scopes travel space-delimited, so a name with a space or control character could never be requested.
        if (string.IsNullOrWhiteSpace(name) || name.Any(ch => ch == ' ' || char.IsControl(ch)))
        {
            errors.Add($"{at}: Name '{name}' is empty or contains a space or control character");
        }
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

    private static bool HasControlCharacter(string value) => value.Any(char.IsControl);

    // On Unix Uri.TryCreate takes "/path" for an absolute file: URI; a configured URI must name its scheme.
    private static bool TryAbsolute(string value, out Uri uri) =>
        Uri.TryCreate(value, UriKind.Absolute, out uri!) && value.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase);

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
