namespace InfraService;

/// <summary>The greeting, bound from <c>Greeting:*</c> (appsettings.json, overridden by Config.Server).</summary>
public sealed class GreetingOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Greeting";

    /// <summary>The scope a token needs for <c>GET /api/greeting</c>.</summary>
    public const string ReadScope = "infraservice.read";

    /// <summary>What <c>GET /api/greeting</c> answers.</summary>
    public string Message { get; set; } = "";
}
