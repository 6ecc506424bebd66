using Infrastructure.Auth.Server.Stores;
using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Infrastructure.Auth.Server.Security;

/// <summary>CORS for the browser-facing protocol endpoints: only origins some client lists in AllowedCorsOrigins.</summary>
internal sealed class ClientCorsPolicyProvider(IClientStore clients) : ICorsPolicyProvider
{
    public const string PolicyName = "auth-clients";

    public async Task<CorsPolicy?> GetPolicyAsync(HttpContext context, string? policyName)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (policyName != PolicyName || origin.Length == 0)
        {
            return null;
        }
        var all = await clients.ListClientsAsync(context.RequestAborted);
        if (!all.Any(c => c.Enabled && c.AllowedCorsOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase)))
        {
            return null;
        }
        return new CorsPolicyBuilder().WithOrigins(origin).AllowAnyHeader().WithMethods("GET", "POST").Build();
    }
}
