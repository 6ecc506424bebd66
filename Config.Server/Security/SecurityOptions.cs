namespace Infrastructure.Config.Server.Security;

/// <summary><c>ConfigServer:Security</c>: who may read and who may change configuration.</summary>
public sealed class SecurityOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ConfigServer:Security";

    /// <summary>Require credentials. Default: on outside the Development environment, off in it.</summary>
    public bool? Enabled { get; set; }

    /// <summary>HTTP Basic users, e.g. <c>Users:0:Username</c>, <c>:Password</c>, <c>:Scopes</c> (space separated; default <c>config.read</c>).</summary>
    public List<ConfigUser> Users { get; set; } = [];

    /// <summary>Auth.Server (OIDC issuer) whose bearer tokens are accepted; its discovery document and keys are fetched. Default none (no bearer tokens).</summary>
    public string? Authority { get; set; }

    /// <summary>Required token audience; default none (any audience from the authority; the scope decides).</summary>
    public string? Audience { get; set; }

    /// <summary>Whether the authority's metadata must come over https. Default: yes, unless the authority is on loopback.</summary>
    public bool? RequireHttpsMetadata { get; set; }

    /// <summary>Wrong Basic passwords allowed per caller address in a window before 429 (<c>PermitLimit</c> 10, <c>Window</c> 1 minute).</summary>
    public Infrastructure.ServiceDefaults.Security.AuthenticationThrottleOptions AuthenticationThrottle { get; set; } = new();
}

/// <summary>One HTTP Basic user.</summary>
public sealed class ConfigUser
{
    /// <summary>User name.</summary>
    public string Username { get; set; } = "";

    /// <summary>Password.</summary>
    public string Password { get; set; } = "";

    /// <summary>Space-separated scopes: <c>config.read</c>, <c>config.admin</c>. Default <c>config.read</c>.</summary>
    public string Scopes { get; set; } = ConfigPolicies.ReadScope;
}
