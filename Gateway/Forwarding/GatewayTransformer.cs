using System.Diagnostics;
using Infrastructure.Gateway.Filters;
using Infrastructure.Proxy.Forwarding;
using Infrastructure.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Infrastructure.Gateway.Forwarding;

/// <summary>
/// The Gateway's side of the forwarder: trace and forwarding headers (X-Forwarded-*, Forwarded, Via, X-Request-Id) as
/// Spring Cloud Gateway writes them, then the route's request-header and response filters.
/// </summary>
internal sealed class GatewayTransformer(IOptions<GatewayOptions> options, IConfiguration configuration) : HttpTransformer
{
    private readonly bool _forwarded = options.Value.ForwardedEnabled;
    private readonly bool _xForwarded = options.Value.XForwardedEnabled;
    private readonly bool _tracing = TelemetryExtensions.IsTracingEnabled(configuration);

    public override bool ShouldCopyRequestHeader(ProxyExchange exchange, string name)
    {
        // The handler injects our own trace context when a span is active; a copied traceparent would stop it. With
        // tracing off nothing injects trace context, so the caller's headers are forwarded as they came.
        if (_tracing && Activity.Current is not null
            && (string.Equals(name, "traceparent", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "tracestate", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }
        if (_xForwarded && name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        return !(_forwarded && string.Equals(name, "Forwarded", StringComparison.OrdinalIgnoreCase));
    }

    public override void TransformRequest(ProxyExchange exchange, HttpRequestMessage proxyRequest)
    {
        var gateway = (GatewayExchange)exchange;
        if (!proxyRequest.Headers.Contains("X-Request-Id"))
        {
            proxyRequest.Headers.TryAddWithoutValidation("X-Request-Id", exchange.Context.TraceIdentifier);
        }
        AddForwardingHeaders(gateway, proxyRequest);
        foreach (var transform in gateway.Route.HeaderTransforms)
        {
            transform.Apply(gateway, proxyRequest);
        }
    }

    public override void TransformResponse(ProxyExchange exchange, HttpResponse response, HttpResponseMessage proxyResponse)
    {
        var gateway = (GatewayExchange)exchange;
        foreach (var transform in gateway.Route.ResponseTransforms)
        {
            transform.Apply(gateway, response);
        }
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
}
