using Route = Infrastructure.Gateway.Routing.Route;
using System.Runtime.CompilerServices;
using Infrastructure.Discovery.Client;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Resilience;
using Infrastructure.Proxy.Forwarding;
using Infrastructure.Proxy.Selection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Infrastructure.Gateway.Forwarding;

/// <summary>
/// Sends one request of a route upstream and copies the answer back: picks the instance (retrying the next one after a
/// refused connection, a reset before the response or an answer that is not HTTP, when allowed), runs the instance's
/// circuit breaker, and hands the request itself to the proxy's <see cref="HttpForwarder"/> with the route's timeouts
/// and the <see cref="GatewayTransformer"/>.
/// </summary>
internal sealed partial class RouteForwarder(
    HttpForwarder forwarder,
    ProxyHttpClient client,
    GatewayTransformer transformer,
    IServiceInstanceProvider instances,
    ServiceLoadBalancer loadBalancer,
    DestinationSelector selector,
    RoutePipelineFactory pipelines,
    ILogger<RouteForwarder> logger)
{
    private static readonly ConditionalWeakTable<ServiceInstance, string> BaseAddresses = new();

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
        // The hosts a Retry filter's earlier attempts tried stay tried: each attempt starts on another one.
        var retry = new NextHostRetry(1 + (canTryNext ? route.MaxAutoRetriesNextServer : 0), exchange.FailedInstances);
        var policy = loadBalancer.GetRule(serviceId, route.LoadBalancerRule);
        while (true)
        {
            var instance = selector.ChooseNext(instances.GetInstances(serviceId), policy, retry.Tried)
                ?? throw new NoInstanceAvailableException(serviceId);
            exchange.Instance = instance;
            using var attempt = selector.Start(instance);
            try
            {
                var response = route.InstanceBreaker is { } breaker
                    ? await pipelines.GetInstancePipeline(route.Id, breaker.Name, breaker.Settings, instance.InstanceId).ExecuteAsync(
                        static (state, ct) => new ValueTask<HttpResponseMessage>(state.Forwarder.SendToAsync(state.Exchange, state.Base, ct)),
                        (Forwarder: this, Exchange: exchange, Base: BaseAddress(instance)),
                        cancellationToken).ConfigureAwait(false)
                    : await SendToAsync(exchange, BaseAddress(instance), cancellationToken).ConfigureAwait(false);
                attempt.Responded((int)response.StatusCode);
                return response;
            }
            catch (BrokenCircuitException) when (!exchange.RequestBodyStarted)
            {
                // This instance's circuit is open: nothing was sent, so any other instance may take the request.
                retry.Skipped(instance);
                exchange.FailedInstances = retry.Tried;
                if (selector.Choose(instances.GetInstances(serviceId), policy, retry.Tried) is null)
                {
                    throw;
                }
            }
            catch (HttpRequestException ex) when (LoadBalancingHttpMessageHandler.IsFailureBeforeResponse(ex))
            {
                // Refused, reset or closed before a response, or an answer that is not HTTP: the instance failed this
                // request. Only an idempotent one may go on to the next instance (the request may have been processed).
                attempt.FailedBeforeResponse();
                if (!NextHost(exchange, retry, instance, policy, serviceId))
                {
                    throw;
                }
                LogNextServer(route.Id, instance.InstanceId, ex.Message);
            }
            catch (TimeoutRejectedException ex)
            {
                // A hung instance (accepts, never answers) costs this request one timeout, then the next instance;
                // the streak trips it so the load balancer stops choosing it long before the registry evicts it.
                attempt.TimedOut();
                if (!NextHost(exchange, retry, instance, policy, serviceId))
                {
                    throw;
                }
                LogNextServer(route.Id, instance.InstanceId, ex.Message);
            }
        }
    }

    /// <summary>Notes the failed instance; whether the request goes on to another one (attempts left, body not started, another instance there).</summary>
    private bool NextHost(GatewayExchange exchange, NextHostRetry retry, ServiceInstance failed, ILoadBalancerRule policy, string serviceId)
    {
        var again = retry.Failed(failed, replayable: !exchange.RequestBodyStarted);
        exchange.FailedInstances = retry.Tried;
        return again && selector.Choose(instances.GetInstances(serviceId), policy, retry.Tried) is not null;
    }

    private Task<HttpResponseMessage> SendToAsync(GatewayExchange exchange, string baseAddress, CancellationToken cancellationToken) =>
        forwarder.SendRequestAsync(exchange, baseAddress, client.Invoker, Config(exchange.Route), transformer, cancellationToken);

    /// <summary>Status, headers (minus hop-by-hop), the route's response filters, then the body, streamed; trailers when the client can take them.</summary>
    public Task CopyResponseAsync(GatewayExchange exchange, HttpResponseMessage upstream, CancellationToken cancellationToken)
    {
        var copy = forwarder.CopyResponseAsync(exchange, upstream, Config(exchange.Route), transformer, cancellationToken);
        // Set for lb:// routes only: a static URI has no load-balancer stats (and its hot path no extra state machine).
        return exchange.Instance is { } instance ? ReportBodyFailureAsync(copy, instance) : copy;
    }

    private async Task ReportBodyFailureAsync(Task copy, ServiceInstance instance)
    {
        try
        {
            await copy.ConfigureAwait(false);
        }
        catch (UpstreamResponseBodyException)
        {
            // The headers had reset the instance's failure streak; a body that breaks off or stalls carries it on, so
            // an instance that keeps doing it trips.
            selector.ReportBodyFailure(instance);
            throw;
        }
    }

    private static ForwarderRequestConfig Config(Route route) => new(route.ResponseTimeout, route.ConnectTimeout);

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    private static string BaseAddress(ServiceInstance instance) =>
        BaseAddresses.GetValue(instance, static i => i.Uri.GetLeftPart(UriPartial.Authority));

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Route {RouteId}: instance {InstanceId} failed before answering ({Error}), trying the next instance")]
    private partial void LogNextServer(string routeId, string instanceId, string error);
}
