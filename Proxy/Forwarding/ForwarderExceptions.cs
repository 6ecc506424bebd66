using Microsoft.AspNetCore.Http;

namespace Infrastructure.Proxy.Forwarding;

/// <summary>Reading the client's request body failed (Kestrel's body-rate timeout, a malformed chunk, a reset): the client's fault, answered with Kestrel's status.</summary>
internal sealed class ClientRequestBodyException(IOException inner)
    : Exception("request body: " + inner.Message, inner)
{
    /// <summary>408 for a body slower than MinRequestBodyDataRate, 413 over MaxRequestBodySize, else 400.</summary>
    public int StatusCode { get; } = inner is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
}

/// <summary>
/// The upstream's response body broke off (connection reset or closed before its end) or stalled past the response
/// timeout while it was being copied to the client.
/// </summary>
internal sealed class UpstreamResponseBodyException(IOException inner, bool timedOut = false)
    : IOException((timedOut ? "upstream response body stalled: " : "upstream response body broke off: ") + inner.Message, inner)
{
    /// <summary>Whether the body stalled past the response timeout (rather than broke off).</summary>
    public bool TimedOut { get; } = timedOut;

    /// <summary>504 for a body that stalled past the response timeout, 502 for one that broke off.</summary>
    public int StatusCode { get; } = timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
}
