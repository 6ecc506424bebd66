using Infrastructure.ServiceDefaults.Storage;

namespace Infrastructure.Auth.Server.Endpoints;

/// <summary>
/// The store (PostgreSQL) unreachable while a request needs it: the protocol endpoints answer 503 with RFC 6749's JSON
/// error shape (<c>{"error":"temporarily_unavailable",...}</c>, <c>Retry-After</c>) instead of an empty 500 or the
/// developer exception page; pages get a short text. The request is not retried here; the client retries.
/// </summary>
internal static partial class StoreUnavailable
{
    private const string Description = "the token service's store is unreachable; retry later";

    /// <summary>Wraps everything after it (the endpoints).</summary>
    public static IApplicationBuilder UseStoreUnavailableResponses(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (IsStoreUnavailable(e) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StoreUnavailable).FullName!);
            LogUnavailable(logger, context.Request.Method, context.Request.Path.Value ?? "", e.GetType().Name, e.Message);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            OAuthErrors.NoStore(context.Response);
            if (IsProtocolPath(context.Request.Path))
            {
                await context.Response.WriteAsJsonAsync(new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["error"] = "temporarily_unavailable",
                    ["error_description"] = Description,
                });
            }
            else
            {
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("Service temporarily unavailable: " + Description);
            }
        }
    });

    /// <summary>A connection-level failure (refused, reset, timed out) or a server refusing work while it shuts down or starts.</summary>
    internal static bool IsStoreUnavailable(Exception e) => PostgresFailures.IsUnavailable(e);

    private static bool IsProtocolPath(PathString path) =>
        path.StartsWithSegments("/connect") || path.StartsWithSegments("/.well-known") || path.StartsWithSegments("/api");

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: store unavailable ({ErrorType}: {Error})")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string errorType, string error);
}
