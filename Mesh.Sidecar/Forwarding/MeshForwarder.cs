using System.Diagnostics;
using Infrastructure.Proxy.Forwarding;
using Infrastructure.ServiceDefaults.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using Polly.Timeout;

namespace Infrastructure.Mesh.Sidecar.Forwarding;

/// <summary>How one attempt ended.</summary>
internal enum AttemptOutcome
{
    /// <summary>A response was sent to the caller.</summary>
    Responded,
    /// <summary>A response came with a status the retry policy retries; nothing was sent to the caller yet.</summary>
    RetriableStatus,
    /// <summary>No connection could be made.</summary>
    ConnectFailure,
    /// <summary>The connection broke before a response.</summary>
    Reset,
    /// <summary>The attempt's deadline passed before a response.</summary>
    Timeout,
    /// <summary>The caller went away.</summary>
    ClientGone,
    /// <summary>The response had started when the upstream failed: nothing more can be done.</summary>
    Broken,
}

/// <summary>The outcome and the upstream's status code (0 without a response).</summary>
internal readonly record struct AttemptResult(AttemptOutcome Outcome, int StatusCode);

/// <summary>One attempt's settings: the Host to send, the per-try timeout, which statuses to withhold for a retry, extra headers.</summary>
internal sealed record AttemptOptions(
    string Host,
    TimeSpan? PerTryTimeout = null,
    Func<int, bool>? WithholdStatus = null,
    Action<HttpRequestMessage>? Headers = null,
    bool Http2 = false,
    string? Path = null,
    Action<HttpResponse>? ResponseHeaders = null);

/// <summary>
/// The sidecar's only path to an upstream, over the repository's forwarder (Proxy/): one attempt to one destination; the
/// response headers are looked at before anything reaches the caller, so a status the retry policy retries is withheld
/// and the next attempt answers instead.
/// </summary>
internal sealed class MeshForwarder
{
    private readonly HttpForwarder _forwarder = new();

    public async Task<AttemptResult> SendAsync(HttpContext context, string destinationPrefix, HttpMessageInvoker invoker, AttemptOptions options, CancellationToken cancellationToken)
    {
        var exchange = new ProxyExchange(context);
        if (options.Path is { } path)
        {
            exchange.Path = path;
        }
        var transformer = new Transformer(options);
        var config = new ForwarderRequestConfig(ResponseTimeout: options.PerTryTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _forwarder.SendRequestAsync(exchange, destinationPrefix, invoker, config, transformer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or TimeoutRejectedException or ClientRequestBodyException)
        {
            return new AttemptResult(Classify(ex, context, cancellationToken), 0);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (options.WithholdStatus?.Invoke(status) == true)
            {
                return new AttemptResult(AttemptOutcome.RetriableStatus, status);
            }
            try
            {
                await _forwarder.CopyResponseAsync(exchange, response, config, transformer, cancellationToken).ConfigureAwait(false);
                return new AttemptResult(AttemptOutcome.Responded, status);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
            {
                return new AttemptResult(context.RequestAborted.IsCancellationRequested ? AttemptOutcome.ClientGone : AttemptOutcome.Broken, status);
            }
        }
    }

    private static AttemptOutcome Classify(Exception ex, HttpContext context, CancellationToken cancellationToken)
    {
        if (context.RequestAborted.IsCancellationRequested || ex is ClientRequestBodyException)
        {
            return AttemptOutcome.ClientGone;
        }
        if (ex is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError })
        {
            // A failed mTLS handshake (wrong peer identity, untrusted chain) is a connect failure to Envoy too.
            return AttemptOutcome.ConnectFailure;
        }
        return ForwarderResult.Classify(ex, context.RequestAborted) switch
        {
            ForwarderError.ConnectFailure => AttemptOutcome.ConnectFailure,
            ForwarderError.ResponseTimeout => AttemptOutcome.Timeout,
            _ when cancellationToken.IsCancellationRequested => AttemptOutcome.Timeout,
            _ => AttemptOutcome.Reset,
        };
    }

    /// <summary>Removes the caller's trace headers and writes the current span's (W3C and B3), so each hop is a child.</summary>
    public static void WriteTraceHeaders(HttpRequestMessage request, Activity? activity)
    {
        if (activity is null)
        {
            return;
        }
        foreach (var name in TraceHeaderNames)
        {
            request.Headers.Remove(name);
        }
        TracePropagation.Propagator.Inject(new PropagationContext(activity.Context, Baggage.Current), request,
            static (r, name, value) => r.Headers.TryAddWithoutValidation(name, value));
    }

    private static readonly string[] TraceHeaderNames = ["traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags"];

    private sealed class Transformer(AttemptOptions options) : HttpTransformer
    {
        public override void TransformRequest(ProxyExchange exchange, HttpRequestMessage proxyRequest)
        {
            proxyRequest.Headers.Host = options.Host;
            if (options.Http2)
            {
                // Between sidecars: HTTP/2 when the peer's TLS offers it (ALPN), HTTP/1.1 otherwise.
                proxyRequest.Version = System.Net.HttpVersion.Version20;
            }
            options.Headers?.Invoke(proxyRequest);
        }

        public override void TransformResponse(ProxyExchange exchange, HttpResponse response, HttpResponseMessage proxyResponse) =>
            options.ResponseHeaders?.Invoke(response);
    }
}
