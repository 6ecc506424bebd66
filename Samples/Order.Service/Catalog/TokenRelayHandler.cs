namespace Infrastructure.Samples.Order.Catalog;

/// <summary>Forwards the caller's bearer token downstream (Spring Cloud Gateway's TokenRelay, service side).</summary>
internal sealed class TokenRelayHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var auth = accessor.HttpContext?.Request.Headers.Authorization.ToString();
        if (!string.IsNullOrEmpty(auth) && request.Headers.Authorization is null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", auth);
        }
        return base.SendAsync(request, cancellationToken);
    }
}
