using System.Diagnostics;
using Infrastructure.Gateway.AccessLog;
using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Resilience;
using Infrastructure.Gateway.Routing;
using Infrastructure.Gateway.Security;
using Infrastructure.Gateway.Telemetry;
using Infrastructure.Proxy.Forwarding;
using Infrastructure.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace Infrastructure.Gateway.Forwarding;

/// <summary>
/// The request path of the gateway: match a route, run its pre-filters (auth scopes, rate limit, size...), shape the
/// path, send through the route's resilience pipeline, copy the answer back; failures become JSON errors or a fallback.
/// </summary>
internal sealed partial class GatewayMiddleware(
    RouteLocator routes,
    RouteForwarder forwarder,
    RouteScopeAuthorizer scopes,
    GatewayTelemetry telemetry,
    ILogger<GatewayMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (RequestPathFirewall.Check(context.Request.Path.Value ?? "/") is { } refused)
        {
            LogPathRefused(refused);
            await GatewayErrors.WriteAsync(context, StatusCodes.Status400BadRequest, refused);
            return;
        }
        var route = routes.Current.Match(context);
        if (route is null)
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status404NotFound, "no route matches this request");
            return;
        }
        var started = Stopwatch.GetTimestamp();
        telemetry.RequestStarted(route.Id);
        // The route goes on the server span rather than on a span of its own: the client span of each upstream attempt
        // (one per retry) sits right under it, as in Spring Cloud Gateway's traces, and the hot path starts one span less.
        var activity = Activity.Current is { IsAllDataRequested: true } current ? current : null;
        if (activity is not null)
        {
            activity.DisplayName = string.Concat(context.Request.Method, " ", route.Id);
            activity.SetTag("gateway.route.id", route.Id);
        }
        var exchange = new GatewayExchange(context, route);
        // For the access-log line, written after this returns (AccessLogEnricher).
        context.Features.Set(exchange);
        var bodies = exchange.Bodies = route.LogBodiesMaxBytes is { } maxBytes ? BodyCapture.Start(context, maxBytes) : null;
        try
        {
            if (route.RequiredScopes.Length > 0)
            {
                if (!await scopes.AuthorizeAsync(context, route))
                {
                    return;
                }
            }
            else
            {
                // Only the gateway may say who the consumer is.
                context.Request.Headers.Remove("X-Consumer-Id");
                if (AuthorizationHeader.HasBearer(context.Request))
                {
                    // Not required here, but a valid token still names the consumer for logs and principal rate-limit keys.
                    await scopes.IdentifyAsync(context);
                }
            }
            await ProxyAsync(exchange, allowFallback: true);
        }
        finally
        {
            var status = context.Response.StatusCode;
            telemetry.RequestFinished(route.Id, exchange.Instance?.InstanceId, status, Stopwatch.GetElapsedTime(started));
            if (bodies is not null)
            {
                await bodies.CompleteAsync();
            }
            if (activity is not null)
            {
                activity.SetTag("gateway.instance.id", exchange.Instance?.InstanceId);
            }
        }
    }

    private async Task ProxyAsync(GatewayExchange exchange, bool allowFallback)
    {
        var context = exchange.Context;
        var route = exchange.Route;
        foreach (var filter in route.PreFilters)
        {
            if (!await filter.InvokeAsync(exchange))
            {
                return;
            }
        }
        try
        {
            foreach (var transform in route.PathTransforms)
            {
                transform.Apply(exchange);
            }
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException ex)
        {
            // An operator's RewritePath pattern that backtracks catastrophically on this path: refuse the path (1 s
            // spent, bounded by the pattern's timeout) instead of failing the server.
            LogRewriteTimedOut(route.Id, ex.Pattern);
            await GatewayErrors.WriteAsync(context, StatusCodes.Status400BadRequest,
                $"the path could not be rewritten: route '{route.Id}' pattern took longer than {ex.MatchTimeout.TotalMilliseconds:0} ms on it");
            return;
        }
        var aborted = context.RequestAborted;
        HttpResponseMessage response;
        try
        {
            response = route.Pipeline is { } pipeline
                ? await ExecuteAsync(pipeline, exchange, aborted)
                : await forwarder.SendAsync(exchange, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; the upstream call was cancelled with it. 499 is what nginx logs for this.
            context.Response.StatusCode = 499;
            return;
        }
        catch (Exception ex) when (allowFallback && route.CircuitBreaker?.FallbackPath is { } fallback)
        {
            await FallbackAsync(exchange, fallback, ex);
            return;
        }
        catch (Exception ex)
        {
            await WriteFailureAsync(exchange, ex);
            return;
        }
        using (response)
        {
            if (allowFallback && route.CircuitBreaker is { FallbackPath: { } fallback } cb && cb.StatusCodes.Contains((int)response.StatusCode))
            {
                await FallbackAsync(exchange, fallback, new HttpRequestException($"upstream answered {(int)response.StatusCode}", null, response.StatusCode));
                return;
            }
            try
            {
                await forwarder.CopyResponseAsync(exchange, response, aborted);
            }
            catch (UpstreamResponseBodyException ex) when (!context.Response.HasStarted)
            {
                // Nothing reached the client yet: it gets the protocol's error instead of a connection cut short.
                LogResponseCopyFailed(route.Id, ex.Message);
                context.Response.Clear();
                await GatewayErrors.WriteAsync(context, ex.StatusCode, ex.Message);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
            {
                LogResponseCopyFailed(route.Id, ex.Message);
                // Part of the body may be out already: abort so the client sees a broken response, not a short one.
                context.Abort();
            }
        }
    }

    private async Task<HttpResponseMessage> ExecuteAsync(ResiliencePipeline<HttpResponseMessage> pipeline, GatewayExchange exchange, CancellationToken cancellationToken)
    {
        var resilienceContext = ResilienceContextPool.Shared.Get(cancellationToken);
        resilienceContext.Properties.Set(RoutePipelineFactory.ExchangeKey, exchange);
        try
        {
            return await pipeline.ExecuteAsync(
                static (ctx, state) => state.forwarder.SendAsync(state.exchange, ctx.CancellationToken),
                resilienceContext,
                (forwarder, exchange));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilienceContext);
        }
    }

    /// <summary>Spring's <c>fallbackUri: forward:/path</c>: the request is routed again as if it had asked for <c>/path</c>.</summary>
    private async Task FallbackAsync(GatewayExchange failed, string fallbackPath, Exception cause)
    {
        var context = failed.Context;
        LogFallback(failed.Route.Id, fallbackPath, cause.GetType().Name, cause.Message);
        context.Request.Path = fallbackPath;
        var target = routes.Current.Match(context, exclude: failed.Route);
        if (target is null)
        {
            await WriteFailureAsync(failed, cause);
            return;
        }
        var exchange = new GatewayExchange(context, target) { FallbackException = cause };
        context.Response.Headers.Remove("X-RateLimit-Remaining");
        await ProxyAsync(exchange, allowFallback: false);
    }

    private Task WriteFailureAsync(GatewayExchange exchange, Exception ex)
    {
        var (status, message) = ex switch
        {
            ClientRequestBodyException e => (e.StatusCode, e.Message),
            NoInstanceAvailableException e => (StatusCodes.Status503ServiceUnavailable, e.Message),
            IsolatedCircuitException => (StatusCodes.Status503ServiceUnavailable, $"circuit of route '{exchange.Route.Id}' is isolated"),
            BrokenCircuitException => (StatusCodes.Status503ServiceUnavailable, $"circuit of route '{exchange.Route.Id}' is open"),
            RateLimiterRejectedException => (StatusCodes.Status503ServiceUnavailable, $"route '{exchange.Route.Id}' is at its max-concurrent-requests"),
            TimeoutRejectedException e => (StatusCodes.Status504GatewayTimeout, $"upstream did not answer within {e.Timeout.TotalMilliseconds} ms"),
            HttpRequestException { InnerException: TimeoutException t } => (StatusCodes.Status504GatewayTimeout, t.Message),
            HttpRequestException e when IsNameResolutionFailure(e) => (StatusCodes.Status502BadGateway, $"upstream host could not be resolved: {e.Message}"),
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError } e
                => (StatusCodes.Status502BadGateway, $"upstream sent an invalid HTTP response: {e.Message}"),
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } or HttpRequestException { InnerException: IOException }
                => (StatusCodes.Status502BadGateway, $"upstream closed the connection before answering: {ex.InnerException?.Message ?? ex.Message}"),
            HttpRequestException e => (StatusCodes.Status502BadGateway, $"upstream unreachable: {e.Message}"),
            _ => (StatusCodes.Status502BadGateway, $"proxy error: {ex.GetType().Name}"),
        };
        if (status == StatusCodes.Status502BadGateway && ex is not HttpRequestException)
        {
            LogUnexpected(ex, exchange.Route.Id);
        }
        else
        {
            LogUpstreamFailure(exchange.Route.Id, status, message);
        }
        return GatewayErrors.WriteAsync(exchange.Context, status, message);
    }

    private static bool IsNameResolutionFailure(HttpRequestException ex) =>
        ex.HttpRequestError == HttpRequestError.NameResolutionError
        || ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.TryAgain or System.Net.Sockets.SocketError.NoData };

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Route {RouteId}: RewritePath pattern {Pattern} timed out on a request path; answered 400")]
    private partial void LogRewriteTimedOut(string routeId, string pattern);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Route {RouteId}: {Status} {Message}")]
    private partial void LogUpstreamFailure(string routeId, int status, string message);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Route {RouteId}: unexpected proxy error")]
    private partial void LogUnexpected(Exception exception, string routeId);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Route {RouteId}: fallback to forward:{Path} after {ErrorType}: {Error}")]
    private partial void LogFallback(string routeId, string path, string errorType, string error);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Information, Message = "Request path refused: {Reason}")]
    private partial void LogPathRefused(string reason);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Route {RouteId}: response copy failed: {Error}")]
    private partial void LogResponseCopyFailed(string routeId, string error);
}
