using System.Text.Json;
using Infrastructure.Config.Server.Environment;
using Microsoft.AspNetCore.WebUtilities;

namespace Infrastructure.Config.Server.Api;

/// <summary>Spring Boot's error body (<c>timestamp, status, error, message, path</c>) for exceptions and bare status codes.</summary>
internal static partial class SpringErrors
{
    public static IResult Result(HttpContext ctx, int status, string message) =>
        Results.Json(new
        {
            timestamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", System.Globalization.CultureInfo.InvariantCulture),
            status,
            error = ReasonPhrases.GetReasonPhrase(status),
            message,
            path = ctx.Request.Path.Value,
        }, statusCode: status);

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
                    BadHttpRequestException b => (b.StatusCode, b.Message),
                    _ => (StatusCodes.Status500InternalServerError, "Unexpected error: " + e.GetType().Name),
                };
                if (status >= 500)
                {
                    LogRequestFailed(ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Infrastructure.Config.Server.Api"), ctx.Request.Path, e);
                }
                ctx.Response.Clear();
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

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Request {Path} failed")]
    private static partial void LogRequestFailed(ILogger logger, string path, Exception e);
}
