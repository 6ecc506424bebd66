namespace Infrastructure.Gateway.Security;

/// <summary>
/// <c>Gateway:Security</c>: how bearer tokens are validated (for <c>/actuator/gateway/*</c> outside Development and for
/// routes with <c>required-scopes</c>). Keys come from the authority's discovery document/JWKS (refreshed on an unknown
/// <c>kid</c>) or from PEM public keys given here.
/// </summary>
public sealed class GatewaySecurityOptions
{
    /// <summary>The section name.</summary>
    public const string SectionName = "Gateway:Security";

    /// <summary>Token issuer base URL (Auth.Server, e.g. <c>http://127.0.0.1:9000</c>); its <c>/.well-known/openid-configuration</c> gives the keys. Default none.</summary>
    public string? Authority { get; set; }

    /// <summary>Expected <c>iss</c> when keys are configured directly. Default: the authority, or not checked.</summary>
    public string? Issuer { get; set; }

    /// <summary>
    /// Expected <c>aud</c>: the gateway's API resource name at the authority (IdentityServer4 resource servers check theirs),
    /// so a token issued for another API is refused. Empty turns the check off. Default <c>gateway</c>.
    /// </summary>
    public string? Audience { get; set; } = "gateway";

    /// <summary>RSA/EC public keys in PEM, used instead of (or besides) the authority's JWKS. Default none.</summary>
    public List<string> SigningKeys { get; set; } = [];

    /// <summary>Scope required by the gateway actuator outside Development. Default <c>gateway.admin</c>.</summary>
    public string AdminScope { get; set; } = "gateway.admin";

    /// <summary>Whether the authority's metadata must come over https. Default: yes, unless the authority is on loopback.</summary>
    public bool? RequireHttpsMetadata { get; set; }
}
