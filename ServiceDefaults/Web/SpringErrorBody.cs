using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Infrastructure.ServiceDefaults.Web;

/// <summary>Which of Spring Boot's two error bodies to write: Spring MVC's (servlet) or Spring WebFlux's (reactive).</summary>
public enum SpringErrorStyle
{
    /// <summary><c>timestamp, status, error, message, path</c>, as Spring MVC's <c>BasicErrorController</c> (Spring Cloud Config Server).</summary>
    WebMvc,

    /// <summary>
    /// <c>timestamp, path, status, error, message, requestId</c>, as WebFlux's <c>DefaultErrorAttributes</c> (Spring Cloud Gateway),
    /// plus the W3C <c>traceId</c> so a client can find the trace of a failed call.
    /// </summary>
    WebFlux,
}

/// <summary>Spring Boot's error body, written in one place for every server that answers in Spring's shape.</summary>
public static class SpringErrorBody
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Spring Boot's timestamp: Jackson's rendering of a <c>java.util.Date</c>, milliseconds and a numeric offset
    /// (<c>2026-12-07T17:45:45.288+00:00</c>).
    /// </summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+00:00'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The body's bytes for <paramref name="status"/> and <paramref name="message"/> on this request; a null message is left
    /// out, as Spring Boot does for Spring Security's refusals (<c>server.error.include-message=never</c>).
    /// </summary>
    public static byte[] Render(HttpContext context, int status, string? message, SpringErrorStyle style)
    {
        var now = (context.RequestServices?.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", Timestamp(now));
            if (style == SpringErrorStyle.WebFlux)
            {
                json.WriteString("path", context.Request.Path.Value);
            }
            json.WriteNumber("status", status);
            json.WriteString("error", ReasonPhrases.GetReasonPhrase(status));
            if (message is not null)
            {
                json.WriteString("message", message);
            }
            if (style == SpringErrorStyle.WebMvc)
            {
                json.WriteString("path", context.Request.Path.Value);
            }
            else
            {
                json.WriteString("requestId", context.TraceIdentifier);
                json.WriteString("traceId", Activity.Current?.TraceId.ToHexString() ?? "");
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Writes the body as the whole response (status, <c>application/json</c>, length); the response must not have started.</summary>
    public static Task WriteAsync(HttpContext context, int status, string? message, SpringErrorStyle style)
    {
        var body = Render(context, status, message, style);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    /// <summary>The body as a minimal-API result.</summary>
    public static IResult Result(HttpContext context, int status, string message, SpringErrorStyle style) =>
        new SpringErrorResult(status, message, style);

    private sealed class SpringErrorResult(int status, string message, SpringErrorStyle style) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, status, message, style);
    }
}
