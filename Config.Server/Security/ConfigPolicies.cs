using System.Security.Claims;

namespace Infrastructure.Config.Server.Security;

/// <summary>Authorization policy names and the scopes behind them.</summary>
internal static class ConfigPolicies
{
    public const string Read = "config.read";
    public const string Admin = "config.admin";
    public const string ReadScope = "config.read";
    public const string AdminScope = "config.admin";

    /// <summary>Whether the user holds a scope, from space-separated <c>scope</c> claims or one claim per scope.</summary>
    public static bool HasScope(ClaimsPrincipal user, string scope) =>
        user.FindAll("scope").Concat(user.FindAll("http://schemas.microsoft.com/identity/claims/scope"))
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Contains(scope, StringComparer.Ordinal);
}
