using Microsoft.AspNetCore.Http;

namespace Infrastructure.Proxy.Forwarding;

/// <summary>One proxied request as the forwarder sees it: the incoming context, the outgoing path and query, and whether its body started going upstream.</summary>
/// <remarks>Front ends derive from it to carry their own per-request state (the Gateway's route and filters) to their <see cref="HttpTransformer"/> without another allocation.</remarks>
internal class ProxyExchange
{
    public ProxyExchange(HttpContext context)
    {
        Context = context;
        Path = context.Request.Path.Value ?? "/";
        Query = context.Request.QueryString.Value ?? "";
    }

    public HttpContext Context { get; }

    /// <summary>The path to send upstream, decoded (the forwarder re-encodes it); the incoming path until a transform changes it.</summary>
    public string Path { get; set; }

    /// <summary>The query string to send upstream, with its leading '?', or empty.</summary>
    public string Query { get; set; }

    /// <summary>Whether the upstream started reading the request body (then it cannot be replayed on another destination).</summary>
    public bool RequestBodyStarted { get; set; }
}
