using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

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
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers.ContentLength = null;
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", DateTimeOffset.UtcNow);
            json.WriteString("path", context.Request.Path.Value);
            json.WriteNumber("status", status);
            json.WriteString("error", ReasonPhrases.GetReasonPhrase(status));
            json.WriteString("message", message);
            json.WriteString("requestId", context.TraceIdentifier);
            json.WriteString("traceId", Activity.Current?.TraceId.ToHexString() ?? "");
            json.WriteEndObject();
        }
        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
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

/// <summary>The upstream's response body broke off (connection reset or closed before its end) while it was being copied to the client.</summary>
internal sealed class UpstreamResponseBodyException(IOException inner)
    : IOException("upstream response body broke off: " + inner.Message, inner);
