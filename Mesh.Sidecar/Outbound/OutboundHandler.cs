using Infrastructure.Mesh.Api.Resources;
using System.Diagnostics;
using System.Globalization;
using Infrastructure.Discovery.Client;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Sidecar.Forwarding;
using Infrastructure.Mesh.Sidecar.Hosting;
using Infrastructure.Mesh.Sidecar.Telemetry;
using Infrastructure.Mesh.Sidecar.Xds;
using Infrastructure.Proxy.Selection;
using Infrastructure.ServiceDefaults.Configuration;
using Infrastructure.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Options;
using OpenTelemetry.Context.Propagation;
using SimpleLB = Infrastructure.Mesh.Api.LoadBalancerSettings.Types.SimpleLB;
using TLSmode = Infrastructure.Mesh.Api.ClientTLSSettings.Types.TLSmode;

namespace Infrastructure.Mesh.Sidecar.Outbound;

/// <summary>
/// Port 15001: the app's calls. The service comes from the Host header (or the absolute-form target when the sidecar is
/// the app's HTTP_PROXY); the VirtualService rule, fault, weighted destination, subset, retries on other hosts, timeout and
/// mirror are applied, then the request goes over mTLS to the chosen instance's inbound port. A host the registry does
/// not know passes through to where it points (Istio's ALLOW_ANY).
/// </summary>
internal sealed partial class OutboundHandler(
    ConfigStore config,
    IServiceInstanceProvider registry,
    MeshForwarder forwarder,
    UpstreamClients clients,
    DestinationPools pools,
    MeshTelemetry telemetry,
    WorkloadIdentity identity,
    InFlight inFlight,
    IOptions<SidecarOptions> options,
    TimeProvider time,
    ILogger<OutboundHandler> logger)
{
    /// <summary>Istio's retry policy when a route sets none.</summary>
    public const string DefaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

    /// <summary>Istio's retry attempts when a route sets none.</summary>
    public const int DefaultAttempts = 2;

    private const int MirrorBodyLimit = 1024 * 1024;

    private readonly IReadOnlyDictionary<string, string> _labels = options.Value.Labels();

    public async Task HandleAsync(HttpContext context)
    {
        inFlight.Enter(context);
        var started = Stopwatch.GetTimestamp();
        var request = context.Request;
        var host = request.Host.Value ?? "";
        var service = RouteSelection.ServiceName(host);
        var destination = service;
        var parent = TracePropagation.Propagator.Extract(default, request.Headers,
            static (headers, name) => headers.TryGetValue(name, out var v) ? v.ToArray().OfType<string>() : []);
        using var span = MeshTelemetry.Source.StartActivity($"{service}:{request.Method}", ActivityKind.Client, parent.ActivityContext);
        span?.SetTag("http.request.method", request.Method);
        span?.SetTag("url.path", request.Path.Value);
        span?.SetTag("upstream_cluster", $"outbound|{service}");
        if (!request.Headers.ContainsKey("x-request-id"))
        {
            request.Headers["x-request-id"] = Guid.NewGuid().ToString();
        }
        try
        {
            if (service.Length == 0)
            {
                await AnswerAsync(context, StatusCodes.Status400BadRequest, "no Host header: say which service to call").ConfigureAwait(false);
                return;
            }
            var current = config.Current;
            var known = registry.GetServices().Contains(service, StringComparer.OrdinalIgnoreCase)
                || current.VirtualServices.Any(v => v.Spec.Hosts.Any(h => RouteSelection.ServiceName(h) == service));
            if (!known)
            {
                await PassThroughAsync(context, host, span).ConfigureAwait(false);
                return;
            }
            var choice = RouteSelection.Choose(current, service, new RouteRequest(
                request.Path.Value ?? "/",
                request.Method,
                host,
                name => request.Headers.TryGetValue(name, out var v) ? RouteSelection.First(v) : null,
                name => request.Query.TryGetValue(name, out var v) ? RouteSelection.First(v) : null,
                _labels,
                // The service port the app named (reviews:9080), 80 without one.
                request.Host.Port ?? 80));
            if (choice.VirtualService is not null && choice.Rule is null)
            {
                await AnswerAsync(context, StatusCodes.Status404NotFound, "").ConfigureAwait(false);
                return;
            }
            var rule = choice.Rule;
            if (rule?.Redirect is { } redirect)
            {
                context.Response.Headers.Location = RouteAction.RedirectLocation(request, redirect, choice.Match);
                await AnswerAsync(context, redirect.RedirectCode > 0 ? (int)redirect.RedirectCode : StatusCodes.Status301MovedPermanently, "").ConfigureAwait(false);
                return;
            }
            if (rule?.Fault is { } fault && await InjectFaultAsync(context, fault).ConfigureAwait(false))
            {
                return;
            }
            var picked = rule is null ? null : RouteSelection.PickWeighted(rule.Route, Random.Shared.NextDouble());
            destination = picked?.Destination?.Host is { Length: > 0 } h ? RouteSelection.ServiceName(h) : service;
            var subset = picked?.Destination?.Subset;
            if (rule?.Mirror is { } mirror && Chance(rule.MirrorPercentage?.Value ?? 100))
            {
                await MirrorAsync(context, mirror, current).ConfigureAwait(false);
            }
            var action = RouteAction.For(host, request.Path.Value ?? "/", rule, choice.Match, picked);
            await RouteAsync(context, current, action, destination, subset, rule, span).ConfigureAwait(false);
        }
        finally
        {
            inFlight.Leave();
            span?.SetTag("http.response.status_code", context.Response.StatusCode);
            if (context.Response.StatusCode >= 500)
            {
                span?.SetStatus(ActivityStatusCode.Error);
            }
            telemetry.Record(new RequestLabels(
                "source",
                identity.App,
                identity.SpiffeId,
                destination,
                $"{destination}.{SidecarOptions.Namespace}.svc.{SidecarOptions.TrustDomain}",
                context.Response.StatusCode), Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task RouteAsync(HttpContext context, MeshConfig current, RouteAction action, string service, string? subset, HTTPRoute? rule, Activity? span)
    {
        var destinationRule = RouteSelection.RuleFor(current, service);
        var subsetLabels = RouteSelection.SubsetLabels(destinationRule, subset);
        var instances = subsetLabels is null
            ? []
            : registry.GetInstances(service).Where(i => RouteSelection.HasLabels(service, i.Metadata, subsetLabels)).ToList();
        if (instances.Count == 0)
        {
            await AnswerAsync(context, StatusCodes.Status503ServiceUnavailable, "no healthy upstream").ConfigureAwait(false);
            return;
        }
        var policy = RouteSelection.PolicyFor(destinationRule, subset);
        var mtls = policy?.Tls is not { } tls || tls.Mode != TLSmode.Disable;
        var lb = policy?.LoadBalancer is { LbPolicyCase: LoadBalancerSettings.LbPolicyOneofCase.Simple } l ? l.Simple : SimpleLB.LeastRequest;
        var pool = policy?.ConnectionPool;
        var invoker = clients.For(service, mtls,
            pool?.Tcp?.MaxConnections is > 0 and var max ? max : int.MaxValue,
            Duration(pool?.Tcp?.ConnectTimeout) ?? TimeSpan.FromSeconds(10));
        var destination = pools.For($"{service}|{subset}", lb, policy?.OutlierDetection);
        destination.Selector.Outliers?.SetHosts(instances.Select(i => i.InstanceId));
        try
        {
            if (destination.Enter() > Limit(pool))
            {
                context.Response.Headers["x-envoy-overloaded"] = "true";
                await AnswerAsync(context, StatusCodes.Status503ServiceUnavailable, "upstream connect error or disconnect/reset before headers. reset reason: overflow").ConfigureAwait(false);
                return;
            }
            await AttemptsAsync(context, action, service, instances, invoker, mtls, rule, destination, span).ConfigureAwait(false);
        }
        finally
        {
            destination.Leave();
        }
    }

    private async Task AttemptsAsync(HttpContext context, RouteAction action, string service, List<ServiceInstance> instances, HttpMessageInvoker invoker,
        bool mtls, HTTPRoute? rule, DestinationPool destination, Activity? span)
    {
        var retries = rule?.Retries;
        var attempts = retries is null ? DefaultAttempts : retries.Attempts;
        var retryOn = new HashSet<string>((retries is null || string.IsNullOrEmpty(retries.RetryOn) ? DefaultRetryOn : retries.RetryOn)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
        var perTry = Duration(retries?.PerTryTimeout);
        var routeTimeout = Duration(rule?.Timeout) is { } t && t > TimeSpan.Zero ? t : (TimeSpan?)null;
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (routeTimeout is { } rt)
        {
            overall.CancelAfter(rt);
        }
        if (attempts > 0 && HasBody(context.Request))
        {
            context.Request.EnableBuffering();
        }
        var retry = new NextHostRetry(maxAttempts: 1 + attempts);
        var outcome = new AttemptResult(AttemptOutcome.Reset, 0);
        for (var attempt = 0; ; attempt++)
        {
            if (destination.Selector.ChooseNext(instances, destination.Policy, retry.Tried) is not { } instance)
            {
                // Every host ejected by outlier detection.
                await AnswerAsync(context, StatusCodes.Status503ServiceUnavailable, "no healthy upstream").ConfigureAwait(false);
                return;
            }
            var left = retry.AttemptsLeft - 1;
            if (context.Request.Body.CanSeek)
            {
                context.Request.Body.Position = 0;
            }
            var prefix = $"{(mtls ? "https" : "http")}://{instance.Host}:{instance.Port.ToString(CultureInfo.InvariantCulture)}";
            span?.SetTag("peer.address", $"{instance.Host}:{instance.Port}");
            using (var tracked = destination.Selector.Start(instance))
            {
                outcome = await forwarder.SendAsync(context, prefix, invoker, new AttemptOptions(
                    action.Host,
                    PerTryTimeout: perTry,
                    WithholdStatus: left > 0 ? status => RetriableStatus(status, retryOn) : null,
                    Headers: r =>
                    {
                        action.ApplyTo(r);
                        MeshForwarder.WriteTraceHeaders(r, span);
                    },
                    Http2: mtls,
                    Path: action.Path,
                    ResponseHeaders: action.Response.Count == 0 ? null : action.ApplyTo), overall.Token).ConfigureAwait(false);
                switch (outcome.Outcome)
                {
                    case AttemptOutcome.Responded or AttemptOutcome.RetriableStatus:
                        tracked.Responded(outcome.StatusCode);
                        break;
                    case AttemptOutcome.ConnectFailure or AttemptOutcome.Reset:
                        tracked.FailedBeforeResponse();
                        break;
                    case AttemptOutcome.Timeout:
                        tracked.TimedOut();
                        break;
                    case AttemptOutcome.Broken:
                        tracked.Responded(outcome.StatusCode);
                        destination.Selector.ReportBodyFailure(instance);
                        break;
                }
            }
            var retriable = outcome.Outcome switch
            {
                AttemptOutcome.RetriableStatus => true,
                AttemptOutcome.ConnectFailure => retryOn.Overlaps(["connect-failure", "5xx", "gateway-error", "reset", "reset-before-request"]),
                AttemptOutcome.Reset => retryOn.Overlaps(["reset", "5xx", "refused-stream", "reset-before-request"]),
                AttemptOutcome.Timeout => !overall.IsCancellationRequested && retryOn.Overlaps(["5xx", "gateway-error", "reset"]),
                _ => false,
            };
            // The body is buffered when retries are possible, so an attempt can always be replayed.
            if (!retriable || !retry.Failed(instance, replayable: true) || overall.IsCancellationRequested)
            {
                break;
            }
            LogRetry(logger, service, instance.InstanceId, outcome.Outcome.ToString(), outcome.StatusCode, attempt + 1);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.Headers.Clear();
            // Envoy's retry back-off: 25 ms base, jittered, doubling.
            var backoff = TimeSpan.FromMilliseconds(Random.Shared.Next(0, 25 << Math.Min(attempt, 4)));
            try
            {
                await Task.Delay(backoff, time, overall.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        if (outcome.Outcome is AttemptOutcome.Responded or AttemptOutcome.Broken or AttemptOutcome.ClientGone || context.Response.HasStarted)
        {
            return;
        }
        context.Response.Headers.Clear();
        if (outcome.Outcome == AttemptOutcome.Timeout || (routeTimeout is not null && overall.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested))
        {
            await AnswerAsync(context, StatusCodes.Status504GatewayTimeout, "upstream request timeout").ConfigureAwait(false);
            return;
        }
        await AnswerAsync(context, StatusCodes.Status503ServiceUnavailable,
            "upstream connect error or disconnect/reset before headers. reset reason: connection failure").ConfigureAwait(false);
    }

    internal static bool RetriableStatus(int status, IReadOnlySet<string> retryOn) =>
        (status >= 500 && retryOn.Contains("5xx"))
        || (status is 502 or 503 or 504 && retryOn.Contains("gateway-error"))
        || (status == 409 && retryOn.Contains("retriable-4xx"))
        || retryOn.Contains(status.ToString(CultureInfo.InvariantCulture));

    private static int Limit(ConnectionPoolSettings? pool)
    {
        var limit = int.MaxValue;
        if (pool?.Http?.Http2MaxRequests is > 0 and var h2)
        {
            limit = h2;
        }
        if (pool?.Tcp?.MaxConnections is > 0 and var connections)
        {
            // Beyond the connections, http1MaxPendingRequests may wait (Envoy's default 1024 when unset).
            var pending = pool.Http?.Http1MaxPendingRequests is > 0 and var p ? p : 1024;
            limit = Math.Min(limit, connections + pending);
        }
        return limit;
    }

    private async Task<bool> InjectFaultAsync(HttpContext context, HTTPFaultInjection fault)
    {
        if (fault.Delay is { } delay && delay.Percentage is { } dp && Chance(dp.Value) && Duration(delay.FixedDelay) is { } d)
        {
            await Task.Delay(d, time, context.RequestAborted).ConfigureAwait(false);
        }
        if (fault.Abort is { } abort && abort.Percentage is { } ap && Chance(ap.Value) && abort.HttpStatus is >= 200 and <= 599)
        {
            await AnswerAsync(context, abort.HttpStatus, "fault filter abort").ConfigureAwait(false);
            return true;
        }
        return false;
    }

    private static bool Chance(double percent) => percent >= 100 || (percent > 0 && Random.Shared.NextDouble() * 100 < percent);

    /// <summary>A copy of the request to the mirror's host, Host <c>&lt;host&gt;-shadow</c>; its answer is dropped.</summary>
    private async Task MirrorAsync(HttpContext context, Destination mirror, MeshConfig current)
    {
        var request = context.Request;
        byte[]? body = null;
        if (HasBody(request))
        {
            if (request.ContentLength is null or > MirrorBodyLimit)
            {
                return;
            }
            request.EnableBuffering();
            using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy, context.RequestAborted).ConfigureAwait(false);
            request.Body.Position = 0;
            body = copy.ToArray();
        }
        var service = RouteSelection.ServiceName(mirror.Host);
        var rule = RouteSelection.RuleFor(current, service);
        var labels = RouteSelection.SubsetLabels(rule, mirror.Subset);
        var instances = labels is null ? [] : registry.GetInstances(service).Where(i => RouteSelection.HasLabels(service, i.Metadata, labels)).ToList();
        if (instances.Count == 0)
        {
            return;
        }
        var instance = instances[Random.Shared.Next(instances.Count)];
        var mtls = RouteSelection.PolicyFor(rule, mirror.Subset)?.Tls is not { } tls || tls.Mode != TLSmode.Disable;
        var message = new HttpRequestMessage(new HttpMethod(request.Method),
            $"{(mtls ? "https" : "http")}://{instance.Host}:{instance.Port.ToString(CultureInfo.InvariantCulture)}{request.PathBase}{request.Path}{request.QueryString}");
        if (body is not null)
        {
            message.Content = new ByteArrayContent(body);
        }
        foreach (var (name, values) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        message.Headers.Host = $"{mirror.Host}-shadow";
        var invoker = clients.For(service, mtls, int.MaxValue, TimeSpan.FromSeconds(10));
        _ = Task.Run(async () =>
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                using var response = await invoker.SendAsync(message, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                LogMirrorFailed(logger, service, ex.Message);
            }
            finally
            {
                message.Dispose();
            }
        });
    }

    private async Task PassThroughAsync(HttpContext context, string host, Activity? span)
    {
        var o = options.Value;
        var authority = host.Contains(':', StringComparison.Ordinal) ? host : host + ":80";
        if (authority.StartsWith("127.0.0.1:", StringComparison.Ordinal) || authority.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            var port = authority[(authority.LastIndexOf(':') + 1)..];
            if (port == o.OutboundPort.ToString(CultureInfo.InvariantCulture))
            {
                // The app named no service: forwarding to ourselves would loop.
                await AnswerAsync(context, StatusCodes.Status404NotFound, $"no service named in the Host header ({host}); use Host: <service>").ConfigureAwait(false);
                return;
            }
        }
        span?.SetTag("upstream_cluster", "PassthroughCluster");
        var result = await forwarder.SendAsync(context, $"http://{authority}", clients.Plain, new AttemptOptions(host,
            Headers: r => MeshForwarder.WriteTraceHeaders(r, span)), context.RequestAborted).ConfigureAwait(false);
        if (result.Outcome is AttemptOutcome.ConnectFailure or AttemptOutcome.Reset or AttemptOutcome.Timeout && !context.Response.HasStarted)
        {
            await AnswerAsync(context, StatusCodes.Status503ServiceUnavailable,
                "upstream connect error or disconnect/reset before headers. reset reason: connection failure").ConfigureAwait(false);
        }
    }

    private static TimeSpan? Duration(string? text) => GoDuration.TryParse(text, out var value, out _) ? value : null;

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;

    private static async Task AnswerAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        if (text.Length > 0)
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Debug, Message = "Retrying {Service} after {Outcome} ({Status}) from {Instance}, retry {Retry}")]
    private static partial void LogRetry(ILogger logger, string service, string instance, string outcome, int status, int retry);

    [LoggerMessage(EventId = 61, Level = LogLevel.Debug, Message = "Mirror to {Service} failed: {Reason}")]
    private static partial void LogMirrorFailed(ILogger logger, string service, string reason);
}
