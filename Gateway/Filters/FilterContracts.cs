using Infrastructure.Gateway.Routing;
using Infrastructure.Proxy.Forwarding;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.Gateway.Filters;

/// <summary>A route filter (Spring's <c>GatewayFilter</c>), built once per route from its definition.</summary>
internal abstract class GatewayFilter(NamedArgs definition)
{
    public NamedArgs Definition { get; } = definition;

    public string Name => Definition.Name;
}

/// <summary>Runs before the request is forwarded; returns false after writing a response itself (short-circuit).</summary>
internal interface IPreFilter
{
    ValueTask<bool> InvokeAsync(GatewayExchange exchange);
}

/// <summary>Changes the outgoing path or query, once per request.</summary>
internal interface IRequestPathTransform
{
    void Apply(GatewayExchange exchange);
}

/// <summary>Changes the outgoing request headers, on every attempt.</summary>
internal interface IRequestHeadersTransform
{
    void Apply(GatewayExchange exchange, HttpRequestMessage request);
}

/// <summary>Changes the response headers or status after the upstream's were copied, before the body is sent.</summary>
internal interface IResponseTransform
{
    void Apply(GatewayExchange exchange, HttpResponse response);
}

/// <summary>Header edits on an outgoing request that also reach content headers (Content-Type...).</summary>
internal static class RequestHeaders
{
    public static bool IsContentHeader(string name) => ContentHeaders.Contains(name);

    public static void Add(HttpRequestMessage request, string name, string value)
    {
        if (IsContentHeader(name))
        {
            request.Content?.Headers.TryAddWithoutValidation(name, value);
        }
        else
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    public static void Remove(HttpRequestMessage request, string name)
    {
        if (IsContentHeader(name))
        {
            request.Content?.Headers.Remove(name);
        }
        else
        {
            request.Headers.Remove(name);
        }
    }
}
