using Infrastructure.Auth.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server.Tokens;

/// <summary>The issuer: <c>Auth:IssuerUri</c> or the request's origin and path base, lower-cased (IdentityServer4's default).</summary>
internal sealed class IssuerResolver(IOptions<AuthOptions> options)
{
    public string GetIssuer(HttpContext context) =>
        options.Value.IssuerUri?.TrimEnd('/')
        ?? $"{context.Request.Scheme}://{context.Request.Host.Value}{context.Request.PathBase.Value}".ToLowerInvariant().TrimEnd('/');

    /// <summary>Absolute URL of a server path, based on the issuer.</summary>
    public string Url(HttpContext context, string path) => GetIssuer(context) + path;
}
