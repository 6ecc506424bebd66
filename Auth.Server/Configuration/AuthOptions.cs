using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Auth.Server.Configuration;

/// <summary>The <c>Auth:</c> section: IdentityServer4's in-memory objects (clients, resources, test users) and server settings.</summary>
public sealed class AuthOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Auth";

    /// <summary>Issuer to put in tokens and discovery; default: derived from the request (scheme, host, path base), as IdentityServer4 does.</summary>
    public string? IssuerUri { get; set; }

    /// <summary>
    /// Whether <c>ClientSecrets:M:Value</c> and <c>ApiSecrets:M:Value</c> are plaintext. Default (null): plaintext in the
    /// Development environment, otherwise the value is IdentityServer4's <c>"secret".Sha256()</c> (base64 of SHA-256).
    /// </summary>
    public bool? PlaintextSecrets { get; set; }

    /// <summary>RFC 9068's space-delimited <c>scope</c> string in JWT access tokens (default true); false emits a JSON array as IdentityServer4 does.</summary>
    public bool EmitScopesAsSpaceDelimitedStringInJwt { get; set; } = true;

    /// <summary>OAuth clients (IdentityServer4's <c>Client</c>).</summary>
    public List<ClientOptions> Clients { get; set; } = [];

    /// <summary>API scopes (IdentityServer4's <c>ApiScope</c>).</summary>
    public List<ApiScopeOptions> ApiScopes { get; set; } = [];

    /// <summary>API resources (IdentityServer4's <c>ApiResource</c>): token audiences, introspection callers.</summary>
    public List<ApiResourceOptions> ApiResources { get; set; } = [];

    /// <summary>Identity resources (openid, profile, email ...).</summary>
    public List<IdentityResourceOptions> IdentityResources { get; set; } = [];

    /// <summary>Users (IdentityServer4's <c>TestUser</c>).</summary>
    public List<TestUserOptions> Users { get; set; } = [];

    /// <summary>Failed-login lockout (ASP.NET Core Identity's names).</summary>
    public LockoutOptions Lockout { get; set; } = new();

    /// <summary>Throttling of failed client authentication at the token, introspection and revocation endpoints.</summary>
    public ClientAuthenticationThrottleOptions ClientAuthenticationThrottle { get; set; } = new();
}

/// <summary>One OAuth client, with IdentityServer4's property names and defaults.</summary>
public sealed class ClientOptions
{
    /// <summary>Unique client id.</summary>
    [Required]
    public string ClientId { get; set; } = "";

    /// <summary>Display name on the consent page.</summary>
    public string? ClientName { get; set; }

    /// <summary>Whether the client may be used (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Shared secrets.</summary>
    public List<SecretOptions> ClientSecrets { get; set; } = [];

    /// <summary>Whether the client must authenticate with a secret at the token endpoint (default true; false = public client).</summary>
    public bool RequireClientSecret { get; set; } = true;

    /// <summary>Grant types: authorization_code, client_credentials, password, refresh_token is implied by AllowOfflineAccess.</summary>
    public List<string> AllowedGrantTypes { get; set; } = [];

    /// <summary>Scopes the client may request (identity and API scopes).</summary>
    public List<string> AllowedScopes { get; set; } = [];

    /// <summary>Exact redirect URIs for the authorization endpoint.</summary>
    public List<string> RedirectUris { get; set; } = [];

    /// <summary>Exact URIs the end-session endpoint may redirect to.</summary>
    public List<string> PostLogoutRedirectUris { get; set; } = [];

    /// <summary>Origins (scheme://host[:port]) allowed by CORS on the token, userinfo, discovery and revocation endpoints.</summary>
    public List<string> AllowedCorsOrigins { get; set; } = [];

    /// <summary>Whether a PKCE code_challenge is required (default true; always required for public clients).</summary>
    public bool RequirePkce { get; set; } = true;

    /// <summary>Whether the consent page is shown (default false, as in IdentityServer4 4.x).</summary>
    public bool RequireConsent { get; set; }

    /// <summary>Whether the user may choose to remember consent (default true).</summary>
    public bool AllowRememberConsent { get; set; } = true;

    /// <summary>Lifetime of remembered consent in seconds; null = until revoked.</summary>
    public int? ConsentLifetime { get; set; }

    /// <summary>Whether refresh tokens may be requested (offline_access scope).</summary>
    public bool AllowOfflineAccess { get; set; }

    /// <summary>Whether identity claims go into the ID token even when an access token is issued (default false).</summary>
    public bool AlwaysIncludeUserClaimsInIdToken { get; set; }

    /// <summary>Access token lifetime in seconds (default 3600).</summary>
    [Range(1, int.MaxValue)]
    public int AccessTokenLifetime { get; set; } = 3600;

    /// <summary>Identity token lifetime in seconds (default 300).</summary>
    [Range(1, int.MaxValue)]
    public int IdentityTokenLifetime { get; set; } = 300;

    /// <summary>Authorization code lifetime in seconds (default 300).</summary>
    [Range(1, int.MaxValue)]
    public int AuthorizationCodeLifetime { get; set; } = 300;

    /// <summary>Refresh token absolute lifetime in seconds (default 2592000 = 30 days).</summary>
    [Range(1, int.MaxValue)]
    public int AbsoluteRefreshTokenLifetime { get; set; } = 2592000;

    /// <summary>Jwt (default) or Reference.</summary>
    public AccessTokenType AccessTokenType { get; set; } = AccessTokenType.Jwt;

    /// <summary>OneTimeOnly (default: rotate on every use, reuse revokes the family) or ReUse.</summary>
    public TokenUsage RefreshTokenUsage { get; set; } = TokenUsage.OneTimeOnly;

    /// <summary>A public client (no secret): PKCE is always required.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsPublic => !RequireClientSecret;
}

/// <summary>IdentityServer4's AccessTokenType.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<AccessTokenType>))]
public enum AccessTokenType
{
    /// <summary>Self-contained signed JWT.</summary>
    Jwt,

    /// <summary>Random handle stored server-side, validated by introspection.</summary>
    Reference,
}

/// <summary>IdentityServer4's TokenUsage (refresh tokens).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<TokenUsage>))]
public enum TokenUsage
{
    /// <summary>The same refresh token is kept.</summary>
    ReUse,

    /// <summary>A new refresh token on every use; the old one is consumed.</summary>
    OneTimeOnly,
}

/// <summary>A shared secret: plaintext in Development, else IdentityServer4's <c>"secret".Sha256()</c>.</summary>
public sealed class SecretOptions
{
    /// <summary>The secret value or its SHA-256 base64 hash.</summary>
    [Required]
    public string Value { get; set; } = "";

    /// <summary>Optional description.</summary>
    public string? Description { get; set; }

    /// <summary>Optional expiration (UTC).</summary>
    public DateTimeOffset? Expiration { get; set; }
}

/// <summary>IdentityServer4's ApiScope.</summary>
public sealed class ApiScopeOptions
{
    /// <summary>Scope name, e.g. catalog.read.</summary>
    [Required]
    public string Name { get; set; } = "";

    /// <summary>Display name on the consent page.</summary>
    public string? DisplayName { get; set; }

    /// <summary>User claims added to access tokens carrying this scope.</summary>
    public List<string> UserClaims { get; set; } = [];
}

/// <summary>IdentityServer4's ApiResource: an audience grouping scopes; authenticates to introspection with ApiSecrets.</summary>
public sealed class ApiResourceOptions
{
    /// <summary>Resource name, used as the <c>aud</c> claim.</summary>
    [Required]
    public string Name { get; set; } = "";

    /// <summary>Display name.</summary>
    public string? DisplayName { get; set; }

    /// <summary>API scopes belonging to this resource.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>Secrets for the introspection endpoint.</summary>
    public List<SecretOptions> ApiSecrets { get; set; } = [];

    /// <summary>User claims added to access tokens for this resource.</summary>
    public List<string> UserClaims { get; set; } = [];
}

/// <summary>IdentityServer4's IdentityResource (openid, profile, email).</summary>
public sealed class IdentityResourceOptions
{
    /// <summary>Scope name.</summary>
    [Required]
    public string Name { get; set; } = "";

    /// <summary>Display name on the consent page.</summary>
    public string? DisplayName { get; set; }

    /// <summary>User claims returned by userinfo for this scope.</summary>
    public List<string> UserClaims { get; set; } = [];
}

/// <summary>IdentityServer4's TestUser.</summary>
public sealed class TestUserOptions
{
    /// <summary>Stable subject id (<c>sub</c>).</summary>
    [Required]
    public string SubjectId { get; set; } = "";

    /// <summary>Login name.</summary>
    [Required]
    public string Username { get; set; } = "";

    /// <summary>Password (plaintext in configuration; hashed with PasswordHasher in PostgreSQL).</summary>
    [Required]
    public string Password { get; set; } = "";

    /// <summary>Whether the user may sign in (default true).</summary>
    public bool IsActive { get; set; } = true;

    /// <summary>Claims, e.g. name, email, role; as a map of type to value.</summary>
    public Dictionary<string, string> Claims { get; set; } = [];
}

/// <summary>Lockout after repeated failed logins (ASP.NET Core Identity's LockoutOptions names).</summary>
public sealed class LockoutOptions
{
    /// <summary>Failed attempts before lockout (default 5).</summary>
    [Range(1, 1000)]
    public int MaxFailedAccessAttempts { get; set; } = 5;

    /// <summary>Lockout duration (default 5 minutes).</summary>
    public TimeSpan DefaultLockoutTimeSpan { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Failed client authentications allowed per client id and remote address in a window before 429.</summary>
public sealed class ClientAuthenticationThrottleOptions
{
    /// <summary>Failures allowed per window (default 10).</summary>
    [Range(1, 100000)]
    public int PermitLimit { get; set; } = 10;

    /// <summary>Window length (default 1 minute).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
