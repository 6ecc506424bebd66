using Infrastructure.ServiceDefaults.Web;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.Gateway.Forwarding;

/// <summary>
/// Error responses in Spring Boot's error shape (<c>timestamp, path, status, error, message, requestId</c>) plus the
/// W3C <c>traceId</c>, so a client can find the trace of a failed call.
/// </summary>
internal static class GatewayErrors
{
    public static async Task WriteAsync(HttpContext context, int status, string message)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Headers are gone already: the only honest signal left is to break the connection.
            context.Abort();
            return;
        }
        response.Headers.ContentLength = null;
        await SpringErrorBody.WriteAsync(context, status, message, SpringErrorStyle.WebFlux);
    }
}

/// <summary>No UP instance of the route's service (503).</summary>
internal sealed class NoInstanceAvailableException(string serviceId) : Exception($"no UP instance of service '{serviceId}'")
{
    public string ServiceId { get; } = serviceId;
}
