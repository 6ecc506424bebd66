using System.Text.Json;
using Infrastructure.Config.Server.Environment;
using Infrastructure.ServiceDefaults.Web;
using Microsoft.AspNetCore.WebUtilities;

namespace Infrastructure.Config.Server.Api;

/// <summary>
/// Spring Boot's error body (<c>timestamp, status, error, message, path</c>) for exceptions and bare status codes. Runs inside
/// the request logging (see Program.cs), so the request line shows the status chosen here, and 4xx answers log no stack trace.
/// </summary>
internal static partial class SpringErrors
{
    public static IResult Result(HttpContext ctx, int status, string message) =>
        SpringErrorBody.Result(ctx, status, message, SpringErrorStyle.WebMvc);

    public static WebApplication UseSpringErrors(this WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            try
            {
                await next(ctx);
            }
            catch (Exception e) when (!ctx.Response.HasStarted && e is not OperationCanceledException)
            {
                var (status, message) = e switch
                {
                    NoSuchLabelException => (StatusCodes.Status404NotFound, e.Message),
                    BadConfigRequestException => (StatusCodes.Status400BadRequest, e.Message),
                    ConfigFileParseException => (StatusCodes.Status500InternalServerError, e.Message),
                    BackendUnavailableException => (StatusCodes.Status503ServiceUnavailable, e.Message),
                    BackendStorageFullException => (StatusCodes.Status507InsufficientStorage, e.Message),
                    BadHttpRequestException b => (b.StatusCode, b.Message),
                    _ => (StatusCodes.Status500InternalServerError, "Unexpected error: " + e.GetType().Name),
                };
                var logger = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Infrastructure.Config.Server.Api");
                if (e is BackendUnavailableException or BackendStorageFullException)
                {
                    // The backend's trouble, not ours: one Warning line per request, no stack trace; the operator acts on the database.
                    LogBackendFailed(logger, ctx.Request.Path, status, message, e.InnerException?.Message ?? "");
                }
                else if (status >= 500 && e is not ConfigFileParseException)
                {
                    // Only the unexpected gets a stack trace; a broken file was logged once, with its line, when it failed to parse.
                    LogRequestFailed(logger, ctx.Request.Path, e);
                }
                else
                {
                    // The caller's mistake (or a known broken file): the request line already says the status; the reason stays at Debug.
                    LogRequestRefused(logger, ctx.Request.Path, status, message);
                }
                ctx.Response.Clear();
                if (status == StatusCodes.Status503ServiceUnavailable)
                {
                    ctx.Response.Headers.RetryAfter = RetryAfterSeconds;
                }
                await Result(ctx, status, message).ExecuteAsync(ctx);
            }
        });
        app.UseStatusCodePages(async sc =>
        {
            var ctx = sc.HttpContext;
            if (ctx.Response.ContentLength is null or 0 && ctx.Response.ContentType is null)
            {
                var message = ctx.Response.StatusCode == StatusCodes.Status404NotFound ? "No endpoint " + ctx.Request.Method + " " + ctx.Request.Path : "";
                await Result(ctx, ctx.Response.StatusCode, message).ExecuteAsync(ctx);
            }
        });
        return app;
    }

    internal static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.General);

    // As Auth.Server's 503: long enough for a database restart to begin answering, short enough not to strand a client.
    private const string RetryAfterSeconds = "5";

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Request {Path} answered {Status}: {Reason} ({Cause})")]
    private static partial void LogBackendFailed(ILogger logger, string path, int status, string reason, string cause);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Request {Path} failed")]
    private static partial void LogRequestFailed(ILogger logger, string path, Exception e);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "Request {Path} answered {Status}: {Reason}")]
    private static partial void LogRequestRefused(ILogger logger, string path, int status, string reason);
}
