using System.Net.Http.Headers;
using Infrastructure.ServiceDefaults.Security;

namespace Infrastructure.Samples.Order.Catalog;

/// <summary>Forwards the caller's bearer token downstream (Spring Cloud Gateway's TokenRelay, service side).</summary>
internal sealed class TokenRelayHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (accessor.HttpContext is { } caller && AuthorizationHeader.Bearer(caller.Request) is { } token && request.Headers.Authorization is null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return base.SendAsync(request, cancellationToken);
    }
}
