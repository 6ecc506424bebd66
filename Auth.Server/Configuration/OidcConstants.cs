namespace Infrastructure.Auth.Server.Configuration;

/// <summary>Protocol names: grant types, standard scopes, token type hints.</summary>
internal static class OidcConstants
{
    public const string AuthorizationCode = "authorization_code";
    public const string ClientCredentials = "client_credentials";
    public const string Password = "password";
    public const string RefreshToken = "refresh_token";

    public static readonly string[] SupportedGrantTypes = [AuthorizationCode, ClientCredentials, Password, RefreshToken];

    public const string OpenId = "openid";
    public const string OfflineAccess = "offline_access";

    /// <summary>The scope that guards the admin API.</summary>
    public const string AdminScope = "auth.admin";
}

/// <summary>Persisted grant types (IdentityServer4's names).</summary>
internal static class GrantKinds
{
    public const string AuthorizationCode = "authorization_code";
    public const string RefreshToken = "refresh_token";
    public const string ReferenceToken = "reference_token";
    public const string UserConsent = "user_consent";

    /// <summary>A one-time consent decision handed from the consent page back to the authorize endpoint.</summary>
    public const string ConsentDecision = "consent_decision";

    /// <summary>A user's JWT access token, by its <c>jti</c>, in its token family: while it is here the token is live (see <c>TokenService</c>).</summary>
    public const string JwtAccessToken = "jwt_access_token";
}
