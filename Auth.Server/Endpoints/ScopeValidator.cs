using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Stores;

namespace Infrastructure.Auth.Server.Endpoints;

/// <summary>Checks requested scopes against the client's AllowedScopes and the known resources.</summary>
internal static class ScopeValidator
{
    public static IReadOnlyList<string> Parse(string? scope) =>
        string.IsNullOrWhiteSpace(scope) ? [] : scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The scopes to grant, or an error description.</summary>
    public static (IReadOnlyList<string>? Scopes, string? Error) Validate(ClientOptions client, IReadOnlyList<string> requested, ResourceSet resources, bool identityAllowed)
    {
        foreach (var s in requested)
        {
            var known = resources.FindApiScope(s) is not null || resources.FindIdentityResource(s) is not null || s == OidcConstants.OfflineAccess;
            if (!known)
            {
                return (null, $"unknown scope '{s}'");
            }
            var allowed = s == OidcConstants.OfflineAccess ? client.AllowOfflineAccess : client.AllowedScopes.Contains(s);
            if (!allowed)
            {
                return (null, $"scope '{s}' is not allowed for this client");
            }
            if (!identityAllowed && (resources.FindIdentityResource(s) is not null || s == OidcConstants.OfflineAccess))
            {
                return (null, $"scope '{s}' needs a user");
            }
        }
        return (requested, null);
    }

    /// <summary>IdentityServer4's default when scope is omitted: everything the client is allowed (API scopes only without a user).</summary>
    public static IReadOnlyList<string> Default(ClientOptions client, ResourceSet resources, bool identityAllowed)
    {
        var scopes = client.AllowedScopes
            .Where(s => resources.FindApiScope(s) is not null || (identityAllowed && resources.FindIdentityResource(s) is not null))
            .ToList();
        if (identityAllowed && client.AllowOfflineAccess)
        {
            scopes.Add(OidcConstants.OfflineAccess);
        }
        return scopes;
    }
}
