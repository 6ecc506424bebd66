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

/// <summary>Reading the client's request body failed (Kestrel's body-rate timeout, a malformed chunk, a reset): the client's fault, answered with Kestrel's status.</summary>
internal sealed class ClientRequestBodyException(IOException inner)
    : Exception("request body: " + inner.Message, inner)
{
    /// <summary>408 for a body slower than MinRequestBodyDataRate, 413 over MaxRequestBodySize, else 400.</summary>
    public int StatusCode { get; } = inner is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
}

/// <summary>
/// The upstream's response body broke off (connection reset or closed before its end) or stalled past the response
/// timeout while it was being copied to the client.
/// </summary>
internal sealed class UpstreamResponseBodyException(IOException inner, bool timedOut = false)
    : IOException((timedOut ? "upstream response body stalled: " : "upstream response body broke off: ") + inner.Message, inner)
{
    /// <summary>504 for a body that stalled past the response timeout, 502 for one that broke off.</summary>
    public int StatusCode { get; } = timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
}
