using System.Net.Sockets;
using Polly.Timeout;

namespace Infrastructure.Proxy.Forwarding;

/// <summary>How a forwarded request ended, for the front end to answer in its own error shape (YARP's <c>ForwarderError</c>).</summary>
internal enum ForwarderError
{
    /// <summary>The response was copied to the client in full.</summary>
    None,

    /// <summary>The destination could not be reached: refused, unresolvable, or the connect timeout passed. Nothing was sent; any destination may take the request.</summary>
    ConnectFailure,

    /// <summary>The connection was reset or closed before a response, or the answer was not HTTP. The request may have been processed.</summary>
    ResponseFailure,

    /// <summary>No response headers within the response timeout. Nothing was sent to the client.</summary>
    ResponseTimeout,

    /// <summary>The upstream broke off or stalled past the response timeout in the middle of the response body.</summary>
    ResponseBody,

    /// <summary>Reading the client's request body failed (too slow, malformed, reset): the client's fault.</summary>
    RequestBody,

    /// <summary>The client went away; the upstream call was cancelled with it.</summary>
    ClientAborted,
}

/// <summary>The outcome of <see cref="HttpForwarder.SendAsync"/>: the error kind and the exception behind it (whether the client's response started is <c>HttpResponse.HasStarted</c>).</summary>
internal readonly record struct ForwarderResult(ForwarderError Error, Exception? Exception = null)
{
    public static ForwarderResult Success => default;

    /// <summary>
    /// Names the failure behind <paramref name="exception"/> as thrown by the forwarder's steps;
    /// <paramref name="clientAborted"/> is the client's token, telling its cancellation from a timeout.
    /// </summary>
    public static ForwarderError Classify(Exception exception, CancellationToken clientAborted) => exception switch
    {
        OperationCanceledException when clientAborted.IsCancellationRequested => ForwarderError.ClientAborted,
        ClientRequestBodyException => ForwarderError.RequestBody,
        UpstreamResponseBodyException => ForwarderError.ResponseBody,
        TimeoutRejectedException => ForwarderError.ResponseTimeout,
        HttpRequestException e when IsConnectFailure(e) => ForwarderError.ConnectFailure,
        _ => ForwarderError.ResponseFailure,
    };

    /// <summary>Whether the destination could not be reached at all (so nothing was sent): refused, unresolvable, connect timeout.</summary>
    public static bool IsConnectFailure(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
        || ex.InnerException is SocketException or TimeoutException;
}
