using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Serilog;
using Serilog.Events;
using Serilog.Parsing;

namespace Infrastructure.ServiceDefaults.Logging;

/// <summary>
/// Writes the one request-completed line, in the shape of Serilog.AspNetCore's <c>RequestLoggingMiddleware</c> (same
/// message template, property names and source context, so existing Serilog configuration and queries keep working).
/// </summary>
/// <remarks>
/// Ours rather than Serilog's because of what a request costs when the line is not written (a proxy under load, with
/// the request level turned down): one small object and one async-local write, which also carries the current
/// <see cref="HttpContext"/> for <see cref="ConsumerEnricher"/>. Serilog's pays for its collector's async-local twice
/// and the app then needs <c>IHttpContextAccessor</c>, a third; each extra async local makes every later write of
/// <c>Activity.Current</c> in the request copy a larger map.
/// </remarks>
internal sealed class RequestLogMiddleware(
    RequestDelegate next,
    ILogger logger,
    IRequestLogEnricher[] enrichers,
    Func<HttpContext, double, Exception?, LogEventLevel> getLevel)
{
    /// <summary>Serilog.AspNetCore's default template, unchanged.</summary>
    public const string MessageTemplateText = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0000} ms";

    private static readonly MessageTemplate Template = new MessageTemplateParser().Parse(MessageTemplateText);

    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var scope = new RequestLogScope(context, logger);
        // Restored for the caller when this method returns: nothing to undo.
        RequestLogScope.Current = scope;
        try
        {
            await next(context);
            Complete(scope, context, context.Response.StatusCode, start, null);
        }
        // Logged from the filter, before the stack unwinds, so the event still sees the request's activity and scope.
        catch (Exception ex) when (Complete(scope, context, StatusCodes.Status500InternalServerError, start, ex))
        {
        }
        finally
        {
            scope.End();
        }
    }

    private bool Complete(RequestLogScope scope, HttpContext context, int statusCode, long start, Exception? exception)
    {
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var level = getLevel(context, elapsed, exception);
        if (!logger.IsEnabled(level))
        {
            return false;
        }
        foreach (var enricher in enrichers)
        {
            enricher.Enrich(scope, context);
        }
        var properties = scope.TakeProperties();
        properties.Add(new LogEventProperty("RequestMethod", new ScalarValue(context.Request.Method)));
        properties.Add(new LogEventProperty("RequestPath", new ScalarValue(context.Request.Path.Value)));
        properties.Add(new LogEventProperty("StatusCode", new ScalarValue(statusCode)));
        properties.Add(new LogEventProperty("Elapsed", new ScalarValue(elapsed)));
        var activity = Activity.Current;
        // RS0030: Serilog stamps every other event with DateTimeOffset.Now itself; this line takes the same clock, not a
        // TimeProvider a test may have moved, so the request line sorts among the lines it follows.
#pragma warning disable RS0030
        var timestamp = DateTimeOffset.Now;
#pragma warning restore RS0030
        logger.Write(new LogEvent(
            timestamp, level, exception ?? scope.Exception, Template, properties,
            activity?.TraceId ?? default, activity?.SpanId ?? default));
        return false;
    }
}

/// <summary>
/// What one request collects for its log line; also the request the current async flow belongs to, which lets
/// enrichers reach <see cref="HttpContext"/> without <c>IHttpContextAccessor</c>.
/// </summary>
internal sealed class RequestLogScope(HttpContext context, ILogger logger) : IDiagnosticContext
{
    private static readonly AsyncLocal<RequestLogScope?> CurrentScope = new();
    private List<LogEventProperty>? properties;
    private HttpContext? context = context;

    /// <summary>The scope of the request the calling code runs for, if any.</summary>
    public static RequestLogScope? Current
    {
        get => CurrentScope.Value;
        set => CurrentScope.Value = value;
    }

    /// <summary>The request, until it has completed (background work that outlives it then sees null).</summary>
    public HttpContext? HttpContext => Volatile.Read(ref context);

    public Exception? Exception { get; private set; }

    public void Set(string propertyName, object? value, bool destructureObjects = false)
    {
        if (!logger.BindProperty(propertyName, value, destructureObjects, out var property))
        {
            return;
        }
        lock (this)
        {
            properties ??= [];
            var i = properties.FindIndex(p => p.Name == propertyName);
            if (i >= 0)
            {
                properties[i] = property;
            }
            else
            {
                properties.Add(property);
            }
        }
    }

    public void SetException(Exception exception) => Exception = exception;

    public List<LogEventProperty> TakeProperties()
    {
        lock (this)
        {
            var taken = properties ?? new List<LogEventProperty>(4);
            properties = null;
            return taken;
        }
    }

    public void End() => Volatile.Write(ref context, null);
}

/// <summary>
/// The <see cref="IDiagnosticContext"/> services inject: sets properties on the current request's log line, the way
/// Serilog's own does, and does nothing outside a request.
/// </summary>
internal sealed class AmbientRequestDiagnosticContext : IDiagnosticContext
{
    public void Set(string propertyName, object? value, bool destructureObjects = false) =>
        RequestLogScope.Current?.Set(propertyName, value, destructureObjects);

    public void SetException(Exception exception) => RequestLogScope.Current?.SetException(exception);
}
