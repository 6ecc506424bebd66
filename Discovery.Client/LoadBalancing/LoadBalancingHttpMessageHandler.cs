using System.Diagnostics;
using System.Net.Sockets;

namespace Infrastructure.Discovery.Client.LoadBalancing;

/// <summary>
/// Lets an <see cref="HttpClient"/> call services by name: <c>http://catalog/items</c> is sent to an UP instance of
/// <c>catalog</c> chosen by the load balancer; a body-less idempotent request that fails before any response (connection
/// refused or reset, an answer that is not HTTP) is retried on the next instance.
/// Hosts that are not known services pass through unchanged.
/// </summary>
public sealed class LoadBalancingHttpMessageHandler : DelegatingHandler
{
    private readonly ServiceLoadBalancer _loadBalancer;
    private readonly IServiceInstanceProvider _provider;

    /// <summary>Creates the handler (register it with <c>AddHttpMessageHandler</c>).</summary>
    public LoadBalancingHttpMessageHandler(ServiceLoadBalancer loadBalancer, IServiceInstanceProvider provider)
    {
        _loadBalancer = loadBalancer;
        _provider = provider;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var original = request.RequestUri;
        if (original is null || !original.IsAbsoluteUri || _provider.GetInstances(original.Host).Count == 0)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        var serviceId = original.Host;
        // A request body may already be consumed by the failed attempt, so only body-less requests are replayed.
        var canRetry = request.Content is null && (IsIdempotent(request.Method) || _loadBalancer.Options.OkToRetryOnAllOperations);
        var maxAttempts = 1 + (canRetry ? Math.Max(0, _loadBalancer.Options.MaxAutoRetriesNextServer) : 0);
        List<string>? tried = null;
        for (var attempt = 1; ; attempt++)
        {
            var instance = _loadBalancer.Choose(serviceId, excludedInstanceIds: tried)
                ?? throw new HttpRequestException($"no UP instance of service '{serviceId}'", null, System.Net.HttpStatusCode.ServiceUnavailable);
            request.RequestUri = new UriBuilder(original) { Scheme = instance.Uri.Scheme, Host = instance.Host, Port = instance.Port }.Uri;
            var stats = _loadBalancer.Stats.Get(instance);
            stats.IncrementActiveRequests();
            var started = Stopwatch.GetTimestamp();
            try
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                stats.RecordResponse(Stopwatch.GetElapsedTime(started), (int)response.StatusCode >= 500);
                return response;
            }
            catch (HttpRequestException ex) when (IsFailureBeforeResponse(ex))
            {
                stats.RecordConnectionFailure();
                if (attempt >= maxAttempts)
                {
                    throw;
                }
                (tried ??= []).Add(instance.InstanceId);
            }
            finally
            {
                stats.DecrementActiveRequests();
            }
        }
    }

    /// <summary>GET, HEAD, OPTIONS, TRACE, PUT and DELETE (RFC 9110 §9.2.2).</summary>
    public static bool IsIdempotent(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options ||
        method == HttpMethod.Trace || method == HttpMethod.Put || method == HttpMethod.Delete;

    /// <summary>Whether the exception means the instance could not be reached at all (so nothing was sent).</summary>
    public static bool IsConnectFailure(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError || ex.InnerException is SocketException;

    /// <summary>
    /// Whether the instance failed the request before any response: unreachable (<see cref="IsConnectFailure"/>, nothing
    /// sent), or the connection reset or closed, or an answer that is not HTTP, after the request went out — which only an
    /// idempotent request may be sent again for. An exception thrown by the request's own content is not one of these.
    /// </summary>
    public static bool IsFailureBeforeResponse(HttpRequestException ex) =>
        IsConnectFailure(ex)
        || ex.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError
        || ex.InnerException is IOException;
}
