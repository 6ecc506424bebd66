namespace Infrastructure.Config.Server.Security;

/// <summary>Authorization policy names and the scopes behind them.</summary>
internal static class ConfigPolicies
{
    public const string Read = "config.read";
    public const string Admin = "config.admin";
    public const string ReadScope = "config.read";
    public const string AdminScope = "config.admin";
}
