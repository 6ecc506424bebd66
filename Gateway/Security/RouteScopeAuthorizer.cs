using System.Security.Claims;
using Infrastructure.Gateway.Forwarding;
using Infrastructure.Gateway.Routing;
using Infrastructure.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Route = Infrastructure.Gateway.Routing.Route;

namespace Infrastructure.Gateway.Security;

/// <summary>
/// Routes with metadata <c>required-scopes</c>: a valid bearer token carrying every scope, else 401/403 in the gateway's
/// error shape. The caller's identity goes downstream as <c>X-Consumer-Id</c> (client_id, else sub) with the original Authorization.
/// </summary>
internal sealed class RouteScopeAuthorizer
{
    /// <summary>Authenticates an optional bearer token: a valid one becomes <see cref="HttpContext.User"/>, an invalid one is ignored.</summary>
    public async ValueTask IdentifyAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (result.Succeeded)
        {
            context.User = result.Principal!;
        }
    }

    public async ValueTask<bool> AuthorizeAsync(HttpContext context, Route route)
    {
        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (!result.Succeeded)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await GatewayErrors.WriteAsync(context, StatusCodes.Status401Unauthorized,
                result.Failure is null ? "a bearer token is required" : "invalid bearer token: " + result.Failure.Message);
            return false;
        }
        var user = result.Principal!;
        context.User = user;
        foreach (var scope in route.RequiredScopes)
        {
            if (!Scopes.Has(user, scope))
            {
                context.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{string.Join(' ', route.RequiredScopes)}\"";
                await GatewayErrors.WriteAsync(context, StatusCodes.Status403Forbidden, $"the token lacks scope '{scope}'");
                return false;
            }
        }
        var consumer = user.FindFirstValue("client_id") ?? user.FindFirstValue("sub");
        if (consumer is not null)
        {
            context.Request.Headers["X-Consumer-Id"] = consumer;
        }
        return true;
    }
}
