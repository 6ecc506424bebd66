using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Infrastructure.Discovery.Client;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Resilience;
using Infrastructure.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Infrastructure.Gateway.Forwarding;

/// <summary>
/// Sends one request upstream and copies the answer back: picks the instance (retrying the next one after a refused
/// connection, a reset before the response or an answer that is not HTTP, when allowed), copies headers minus hop-by-hop ones, adds X-Forwarded-* / Forwarded / Via, streams bodies both ways.
/// </summary>
internal sealed partial class HttpForwarder(
    ProxyHttpClient client,
    ServiceLoadBalancer loadBalancer,
    RoutePipelineFactory pipelines,
    IOptions<GatewayOptions> options,
    IConfiguration configuration,
    ILogger<HttpForwarder> logger)
{
    private static readonly ConditionalWeakTable<ServiceInstance, string> BaseAddresses = new();
    // Stream.CopyToAsync's default buffer size.
    private const int BodyBufferSize = 81920;
    private static readonly UriCreationOptions NoCanonicalization = new() { DangerousDisablePathAndQueryCanonicalization = true };
    private readonly bool _forwarded = options.Value.ForwardedEnabled;
    private readonly bool _xForwarded = options.Value.XForwardedEnabled;
    private readonly bool _tracing = TelemetryExtensions.IsTracingEnabled(configuration);

    /// <summary>One attempt (or several, on the next instances, after connection failures); returns once response headers arrived.</summary>
    public ValueTask<HttpResponseMessage> SendAsync(GatewayExchange exchange, CancellationToken cancellationToken) =>
        // A static route is one call: hand back the client's task instead of wrapping it in another state machine.
        exchange.Route.ServiceId is { } serviceId
            ? SendLoadBalancedAsync(exchange, serviceId, cancellationToken)
            : new ValueTask<HttpResponseMessage>(SendToAsync(exchange, exchange.Route.StaticBase!, cancellationToken));

    private async ValueTask<HttpResponseMessage> SendLoadBalancedAsync(GatewayExchange exchange, string serviceId, CancellationToken cancellationToken)
    {
        var route = exchange.Route;
        var canTryNext = route.RetryNonIdempotent || HttpMethods.IsGet(exchange.Context.Request.Method) || IsIdempotent(exchange.Context.Request.Method);
        var attemptsLeft = 1 + (canTryNext ? route.MaxAutoRetriesNextServer : 0);
        while (true)
        {
            var instance = loadBalancer.Choose(serviceId, route.LoadBalancerRule, exchange.FailedInstances)
                // Every instance failed once for this request already (a Retry filter attempt): give all of them another chance.
                ?? (exchange.FailedInstances is { Count: > 0 } ? loadBalancer.Choose(serviceId, route.LoadBalancerRule) : null)
                ?? throw new NoInstanceAvailableException(serviceId);
            exchange.Instance = instance;
            var stats = loadBalancer.Stats.Get(instance);
            stats.IncrementActiveRequests();
            var started = Stopwatch.GetTimestamp();
            try
            {
                var response = route.InstanceBreaker is { } breaker
                    ? await pipelines.GetInstancePipeline(route.Id, breaker.Name, breaker.Settings, instance.InstanceId).ExecuteAsync(
                        static (state, ct) => new ValueTask<HttpResponseMessage>(state.Forwarder.SendToAsync(state.Exchange, state.Base, ct)),
                        (Forwarder: this, Exchange: exchange, Base: BaseAddress(instance)),
                        cancellationToken).ConfigureAwait(false)
                    : await SendToAsync(exchange, BaseAddress(instance), cancellationToken).ConfigureAwait(false);
                stats.RecordResponse(Stopwatch.GetElapsedTime(started), (int)response.StatusCode >= 500);
                return response;
            }
            catch (BrokenCircuitException) when (!exchange.RequestBodyStarted)
            {
                // This instance's circuit is open: nothing was sent, so any other instance may take the request.
                (exchange.FailedInstances ??= []).Add(instance.InstanceId);
                if (loadBalancer.Choose(serviceId, route.LoadBalancerRule, exchange.FailedInstances) is null)
                {
                    throw;
                }
            }
            catch (HttpRequestException ex) when (LoadBalancingHttpMessageHandler.IsFailureBeforeResponse(ex))
            {
                // Refused, reset or closed before a response, or an answer that is not HTTP: the instance failed this
                // request. Only an idempotent one may go on to the next instance (the request may have been processed).
                stats.RecordConnectionFailure();
                (exchange.FailedInstances ??= []).Add(instance.InstanceId);
                if (--attemptsLeft <= 0 || exchange.RequestBodyStarted
                    || loadBalancer.Choose(serviceId, route.LoadBalancerRule, exchange.FailedInstances) is null)
                {
                    throw;
                }
                LogNextServer(route.Id, instance.InstanceId, ex.Message);
            }
            catch (TimeoutRejectedException ex)
            {
                // A hung instance (accepts, never answers) costs this request one timeout, then the next instance;
                // the streak trips it so the load balancer stops choosing it long before the registry evicts it.
                stats.RecordTimeout();
                (exchange.FailedInstances ??= []).Add(instance.InstanceId);
                if (--attemptsLeft <= 0 || exchange.RequestBodyStarted
                    || loadBalancer.Choose(serviceId, route.LoadBalancerRule, exchange.FailedInstances) is null)
                {
                    throw;
                }
                LogNextServer(route.Id, instance.InstanceId, ex.Message);
            }
            finally
            {
                stats.DecrementActiveRequests();
            }
        }
    }

    private Task<HttpResponseMessage> SendToAsync(GatewayExchange exchange, string baseAddress, CancellationToken cancellationToken) =>
        exchange.Route.ResponseTimeout is { } timeout
            ? SendWithTimeoutAsync(BuildRequest(exchange, baseAddress), timeout, cancellationToken)
            : client.Invoker.SendAsync(BuildRequest(exchange, baseAddress), cancellationToken);

    /// <summary>
    /// One attempt bounded by the response timeout, counted from the moment the request is sent, body included (Ribbon's
    /// read timeout), so a slow upload is not cut short; past it the attempt fails with a <see cref="TimeoutRejectedException"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendWithTimeoutAsync(HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (request.Content is StreamingRequestContent body)
        {
            body.StartWhenSent(timer, timeout);
        }
        else
        {
            timer.CancelAfter(timeout);
        }
        try
        {
            // Disposing the timer after the headers (not cancelling it) leaves the response body stream alone.
            return await client.Invoker.SendAsync(request, timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutRejectedException(
                string.Create(CultureInfo.InvariantCulture, $"upstream did not answer within {timeout.TotalMilliseconds} ms"), timeout, ex);
        }
    }

    private HttpRequestMessage BuildRequest(GatewayExchange exchange, string baseAddress)
    {
        var context = exchange.Context;
        var incoming = context.Request;
        var route = exchange.Route;
        // The path is held decoded; re-encode it (a decoded '?' or '#' must stay in the path) and keep the Uri from
        // canonicalizing it: it would turn '\' into '/' and collapse dot segments after the route has matched.
        var target = new Uri(string.Concat(baseAddress, new PathString(exchange.Path).ToUriComponent(), exchange.Query), in NoCanonicalization);
        var message = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), target)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (route.ConnectTimeout is { } connectTimeout)
        {
            message.Options.Set(ProxyHttpClient.ConnectTimeoutKey, connectTimeout);
        }
        var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? incoming.ContentLength > 0;
        if (hasBody)
        {
            message.Content = new StreamingRequestContent(exchange);
        }
        var connection = incoming.Headers.Connection;
        // With tracing off nothing injects trace context, so the caller's headers are forwarded as they came.
        var hasCurrentActivity = _tracing && Activity.Current is not null;
        foreach (var header in incoming.Headers)
        {
            var name = header.Key;
            if (HopByHopHeaders.Contains(name) || string.Equals(name, HeaderNames.Host, StringComparison.OrdinalIgnoreCase)
                || (connection.Count > 0 && HopByHopHeaders.IsNamedIn(connection, name)))
            {
                continue;
            }
            // The handler injects our own trace context when a span is active; a copied traceparent would stop it.
            if (hasCurrentActivity && (string.Equals(name, "traceparent", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "tracestate", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            if (_xForwarded && name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (_forwarded && string.Equals(name, "Forwarded", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            var value = header.Value;
            if (RequestHeaders.IsContentHeader(name))
            {
                if (message.Content is not null && !string.Equals(name, HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase))
                {
                    message.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value);
                }
                continue;
            }
            if (value.Count == 1)
            {
                message.Headers.TryAddWithoutValidation(name, value.ToString());
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value);
            }
        }
        if (IsUpgrade(context))
        {
            // Connection/Upgrade are hop-by-hop, but an upgrade (WebSocket) must be asked for again on the upstream hop.
            message.Headers.TryAddWithoutValidation(HeaderNames.Connection, "Upgrade");
            message.Headers.TryAddWithoutValidation(HeaderNames.Upgrade, (IEnumerable<string?>)incoming.Headers.Upgrade);
        }
        if (!message.Headers.Contains("X-Request-Id"))
        {
            message.Headers.TryAddWithoutValidation("X-Request-Id", context.TraceIdentifier);
        }
        AddForwardingHeaders(exchange, message);
        foreach (var transform in route.HeaderTransforms)
        {
            transform.Apply(exchange, message);
        }
        return message;
    }

    private void AddForwardingHeaders(GatewayExchange exchange, HttpRequestMessage message)
    {
        var incoming = exchange.Context.Request;
        var remote = exchange.Context.Connection.RemoteIpAddress;
        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }
        var remoteText = remote?.ToString();
        var host = incoming.Host.Value ?? "";
        if (_xForwarded)
        {
            // Appended, as Spring does, so a chain of proxies stays visible.
            Append(message, incoming, "X-Forwarded-For", remoteText);
            Append(message, incoming, "X-Forwarded-Proto", incoming.Scheme);
            Append(message, incoming, "X-Forwarded-Host", host);
            var port = incoming.Host.Port ?? exchange.Context.Connection.LocalPort;
            Append(message, incoming, "X-Forwarded-Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var original = exchange.OriginalPath;
            if (exchange.Path.Length < original.Length && original.EndsWith(exchange.Path, StringComparison.Ordinal) && exchange.Path != "/")
            {
                message.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", original[..^exchange.Path.Length]);
            }
            else if (exchange.Path == "/" && original.Length > 1)
            {
                message.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", original.TrimEnd('/'));
            }
        }
        if (_forwarded)
        {
            var forValue = remote is null ? "unknown" : remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"\"[{remoteText}]\"" : remoteText;
            var element = $"for={forValue};proto={incoming.Scheme};host=\"{host}\"";
            var existing = incoming.Headers["Forwarded"];
            message.Headers.TryAddWithoutValidation("Forwarded", existing.Count == 0 ? element : existing.ToString() + ", " + element);
        }
        var via = incoming.Headers[HeaderNames.Via];
        var hop = incoming.Protocol == "HTTP/2" ? "2 gateway" : "1.1 gateway";
        message.Headers.TryAddWithoutValidation(HeaderNames.Via, via.Count == 0 ? hop : via.ToString() + ", " + hop);
    }

    private static void Append(HttpRequestMessage message, HttpRequest incoming, string name, string? value)
    {
        if (value is null)
        {
            return;
        }
        var existing = incoming.Headers[name];
        message.Headers.TryAddWithoutValidation(name, existing.Count == 0 ? value : existing.ToString() + "," + value);
    }

    /// <summary>Status, headers (minus hop-by-hop), the route's response filters, then the body, streamed; trailers when the client can take them.</summary>
    public async Task CopyResponseAsync(GatewayExchange exchange, HttpResponseMessage upstream, CancellationToken cancellationToken)
    {
        var response = exchange.Context.Response;
        response.StatusCode = (int)upstream.StatusCode;
        var headers = response.Headers;
        var connection = upstream.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var c) ? c.ToString() : null;
        foreach (var header in upstream.Headers.NonValidated)
        {
            CopyHeader(headers, header.Key, header.Value, connection);
        }
        foreach (var header in upstream.Content.Headers.NonValidated)
        {
            CopyHeader(headers, header.Key, header.Value, connection);
        }
        foreach (var transform in exchange.Route.ResponseTransforms)
        {
            transform.Apply(exchange, response);
        }
        if (upstream.StatusCode == HttpStatusCode.SwitchingProtocols)
        {
            await TunnelAsync(exchange, upstream, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (HttpMethods.IsHead(exchange.Context.Request.Method) || response.StatusCode is 204 or 304)
        {
            return;
        }
        var body = await upstream.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            await CopyBodyAsync(exchange, body, response.Body, cancellationToken).ConfigureAwait(false);
        }
        if (upstream.TrailingHeaders.NonValidated.Count > 0 && response.SupportsTrailers())
        {
            foreach (var trailer in upstream.TrailingHeaders.NonValidated)
            {
                response.AppendTrailer(trailer.Key, trailer.Value.ToString());
            }
        }
    }

    /// <summary>
    /// Streams the upstream body to the client, telling the two sides' failures apart: the upstream breaking off
    /// (reset or closed mid-body) or going silent for longer than the route's response timeout between two reads is
    /// the instance's failure, counted by the load balancer, and becomes an <see cref="UpstreamResponseBodyException"/>;
    /// the client going away is not.
    /// </summary>
    /// <remarks>
    /// The response timeout bounds each read, as Reactor Netty's <c>responseTimeout</c> (Spring's
    /// <c>httpclient.response-timeout</c>) and Ribbon's <c>ReadTimeout</c> (a socket read timeout) do: an instance that
    /// sent its headers and then froze would otherwise hold the request for as long as the client waits.
    /// </remarks>
    private async Task CopyBodyAsync(GatewayExchange exchange, Stream upstream, Stream client, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BodyBufferSize);
        var timeout = exchange.Route.ResponseTimeout;
        var idle = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    if (idle is null)
                    {
                        read = await upstream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        idle.CancelAfter(timeout!.Value);
                        read = await upstream.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                        if (!idle.TryReset())
                        {
                            // The timer fired just as the read completed: the read won; the next one needs a fresh token.
                            idle.Dispose();
                            idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        }
                    }
                }
                catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    RecordBodyFailure(exchange);
                    throw new UpstreamResponseBodyException(ex);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    RecordBodyFailure(exchange);
                    throw new UpstreamResponseBodyException(new IOException(string.Create(CultureInfo.InvariantCulture,
                        $"no body bytes within {timeout!.Value.TotalMilliseconds} ms")), timedOut: true);
                }
                if (read == 0)
                {
                    return;
                }
                await client.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            idle?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void RecordBodyFailure(GatewayExchange exchange)
    {
        // Set for lb:// routes only: a static URI has no load-balancer stats. The headers had reset the instance's
        // failure streak; a body that breaks off or stalls carries it on, so an instance that keeps doing it trips.
        if (exchange.Instance is { } instance)
        {
            loadBalancer.Stats.Get(instance).RecordResponseBroken();
        }
    }

    /// <summary>After a 101 from upstream: switch the client connection too and pump bytes both ways until either side closes.</summary>
    private static async Task TunnelAsync(GatewayExchange exchange, HttpResponseMessage upstream, CancellationToken cancellationToken)
    {
        var context = exchange.Context;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }
        if (upstream.Headers.NonValidated.TryGetValues(HeaderNames.Upgrade, out var protocol))
        {
            context.Response.Headers.Upgrade = protocol.ToString();
        }
        var upstreamStream = await upstream.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (upstreamStream.ConfigureAwait(false))
        {
            var clientStream = await upgrade.UpgradeAsync().ConfigureAwait(false);
            await using (clientStream.ConfigureAwait(false))
            {
                using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var toUpstream = PumpAsync(clientStream, upstreamStream, done.Token);
                var toClient = PumpAsync(upstreamStream, clientStream, done.Token);
                await Task.WhenAny(toUpstream, toClient).ConfigureAwait(false);
                await done.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(toUpstream, toClient).ConfigureAwait(false);
            }
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken).ConfigureAwait(false);
            await to.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // One side closed or the other pump finished: the tunnel is over either way.
        }
    }

    private static bool IsUpgrade(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } && context.Request.Headers.Upgrade.Count > 0;

    private static void CopyHeader(IHeaderDictionary headers, string name, System.Net.Http.Headers.HeaderStringValues values, string? connection)
    {
        if (HopByHopHeaders.Contains(name) || (connection is not null && HopByHopHeaders.IsNamedIn(connection, name)))
        {
            return;
        }
        if (values.Count == 1)
        {
            // Headers a pre-filter set (X-RateLimit-*) stay; the upstream's value wins for the same name.
            headers[name] = values.ToString();
        }
        else
        {
            headers[name] = values.ToArray();
        }
    }

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    private static string BaseAddress(ServiceInstance instance) =>
        BaseAddresses.GetValue(instance, static i => i.Uri.GetLeftPart(UriPartial.Authority));

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Route {RouteId}: instance {InstanceId} failed before answering ({Error}), trying the next instance")]
    private partial void LogNextServer(string routeId, string instanceId, string error);
}
