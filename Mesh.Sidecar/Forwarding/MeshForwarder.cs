using System.Diagnostics;
using System.Net.Sockets;
using Infrastructure.ServiceDefaults.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using Yarp.ReverseProxy.Forwarder;

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

/// <summary>One attempt's settings.</summary>
internal sealed record AttemptOptions(string Host, Func<int, bool>? WithholdStatus = null, Action<HttpRequestMessage>? Headers = null);

/// <summary>
/// The sidecar's only path to an upstream: forwards the caller's request to a destination prefix and streams the answer
/// back. Interim: YARP's <see cref="IHttpForwarder"/> until the repository's own Proxy/ forwarder lands (h-proxy), when this
/// file is the one to switch.
/// </summary>
internal sealed class MeshForwarder(IHttpForwarder forwarder)
{
    private static readonly ForwarderRequestConfig Config = new()
    {
        // Deadlines are the caller's (route timeout, per-try timeout); this only ends a stalled stream.
        ActivityTimeout = TimeSpan.FromMinutes(5),
        // HTTP/2 over mTLS between sidecars (ALPN), HTTP/1.1 to plaintext apps.
        Version = System.Net.HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    public async Task<AttemptResult> SendAsync(HttpContext context, string destinationPrefix, HttpMessageInvoker invoker, AttemptOptions options, CancellationToken cancellationToken)
    {
        var transformer = new Transformer(options);
        var error = await forwarder.SendAsync(context, destinationPrefix, invoker, Config, transformer, cancellationToken).ConfigureAwait(false);
        if (transformer.Withheld is { } status)
        {
            return new AttemptResult(AttemptOutcome.RetriableStatus, status);
        }
        if (error == ForwarderError.None)
        {
            return new AttemptResult(AttemptOutcome.Responded, context.Response.StatusCode);
        }
        if (context.RequestAborted.IsCancellationRequested)
        {
            return new AttemptResult(AttemptOutcome.ClientGone, 0);
        }
        if (context.Response.HasStarted)
        {
            return new AttemptResult(AttemptOutcome.Broken, context.Response.StatusCode);
        }
        var exception = context.GetForwarderErrorFeature()?.Exception;
        var outcome = error switch
        {
            ForwarderError.RequestTimedOut => AttemptOutcome.Timeout,
            ForwarderError.RequestCanceled when cancellationToken.IsCancellationRequested => AttemptOutcome.Timeout,
            ForwarderError.Request when IsConnectFailure(exception) => AttemptOutcome.ConnectFailure,
            _ => AttemptOutcome.Reset,
        };
        return new AttemptResult(outcome, 0);
    }

    private static bool IsConnectFailure(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.NameResolutionError }
                || e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TimedOut })
            {
                return true;
            }
        }
        return false;
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
        public int? Withheld { get; private set; }

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
            proxyRequest.Headers.Host = options.Host;
            options.Headers?.Invoke(proxyRequest);
        }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            if (proxyResponse is not null && options.WithholdStatus?.Invoke((int)proxyResponse.StatusCode) == true)
            {
                // Nothing reaches the caller: the next attempt answers instead.
                Withheld = (int)proxyResponse.StatusCode;
                httpContext.Response.StatusCode = StatusCodes.Status200OK;
                return false;
            }
            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        }
    }
}
