using Microsoft.AspNetCore.Http;

namespace Infrastructure.Proxy.Forwarding;

/// <summary>
/// The front end's hooks into the forwarder (YARP's <c>HttpTransformer</c>): which incoming headers go upstream, what
/// is added to the outgoing request, and what changes on the response before its body. The default copies everything
/// that is not hop-by-hop and changes nothing.
/// </summary>
internal class HttpTransformer
{
    /// <summary>Copies every end-to-end header, adds nothing.</summary>
    public static readonly HttpTransformer Empty = new();

    /// <summary>Whether an incoming end-to-end header is copied to the outgoing request (hop-by-hop ones and Host never are).</summary>
    public virtual bool ShouldCopyRequestHeader(ProxyExchange exchange, string name) => true;

    /// <summary>Runs on every attempt after the headers were copied: adds or replaces outgoing headers.</summary>
    public virtual void TransformRequest(ProxyExchange exchange, HttpRequestMessage proxyRequest)
    {
    }

    /// <summary>Runs after the upstream's status and headers were copied, before the body (or the upgraded tunnel).</summary>
    public virtual void TransformResponse(ProxyExchange exchange, HttpResponse response, HttpResponseMessage proxyResponse)
    {
    }
}
