using System.Globalization;
using System.Text.RegularExpressions;
using Infrastructure.Gateway.Resilience;
using Infrastructure.Gateway.Routing;
using Infrastructure.Gateway.Security;

namespace Infrastructure.Gateway.Filters;

/// <summary>Builds filters from their definitions (Spring's <c>GatewayFilterFactory</c> names and shortcut argument order).</summary>
internal sealed class GatewayFilterFactory(IRateLimiter rateLimiter)
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "AddRequestHeader", "AddRequestParameter", "AddResponseHeader", "CircuitBreaker", "FallbackHeaders", "MapRequestHeader",
        "PrefixPath", "PreserveHostHeader", "RedirectTo", "RemoveRequestHeader", "RemoveRequestParameter", "RemoveResponseHeader",
        "RequestRateLimiter", "RequestSize", "Retry", "RewritePath", "SetPath", "SetRequestHeader", "SetRequestHostHeader",
        "SetResponseHeader", "SetStatus", "StripPrefix",
    ];

    public GatewayFilter Create(NamedArgs d, string routeId)
    {
        string A(string name, int position) => RoutePredicateFactory.Arg(d, name, position);
        switch (d.Name.ToUpperInvariant())
        {
            case "STRIPPREFIX":
                var partsText = d.Get("parts", 0) ?? "1";
                return int.TryParse(partsText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parts) && parts >= 0
                    ? new StripPrefixFilter(d, parts) : throw new RouteDefinitionException($"StripPrefix: parts '{partsText}' is not a non-negative integer");
            case "PREFIXPATH":
                var prefix = A("prefix", 0);
                return new PrefixPathFilter(d, prefix.StartsWith('/') ? prefix.TrimEnd('/') : "/" + prefix.TrimEnd('/'));
            case "REWRITEPATH":
                var replacement = (d.Get("replacement", 1) ?? "").Replace("$\\", "$", StringComparison.Ordinal);
                return new RewritePathFilter(d, Regex(A("regexp", 0)), replacement);
            case "SETPATH":
                return new SetPathFilter(d, A("template", 0));
            case "ADDREQUESTPARAMETER":
                return new AddRequestParameterFilter(d, A("name", 0), new UriVariableTemplate(d.Get("value", 1) ?? ""));
            case "REMOVEREQUESTPARAMETER":
                return new RemoveRequestParameterFilter(d, A("name", 0));
            case "ADDREQUESTHEADER":
                return new AddRequestHeaderFilter(d, A("name", 0), new UriVariableTemplate(d.Get("value", 1) ?? ""));
            case "SETREQUESTHEADER":
                return new SetRequestHeaderFilter(d, A("name", 0), new UriVariableTemplate(d.Get("value", 1) ?? ""));
            case "REMOVEREQUESTHEADER":
                return new RemoveRequestHeaderFilter(d, A("name", 0));
            case "MAPREQUESTHEADER":
                return new MapRequestHeaderFilter(d, A("fromHeader", 0), A("toHeader", 1));
            case "PRESERVEHOSTHEADER":
                return new PreserveHostHeaderFilter(d);
            case "SETREQUESTHOSTHEADER":
                return new SetRequestHostHeaderFilter(d, A("host", 0));
            case "FALLBACKHEADERS":
                return new FallbackHeadersFilter(d);
            case "ADDRESPONSEHEADER":
                return new AddResponseHeaderFilter(d, A("name", 0), new UriVariableTemplate(d.Get("value", 1) ?? ""));
            case "SETRESPONSEHEADER":
                return new SetResponseHeaderFilter(d, A("name", 0), new UriVariableTemplate(d.Get("value", 1) ?? ""));
            case "REMOVERESPONSEHEADER":
                return new RemoveResponseHeaderFilter(d, A("name", 0));
            case "SETSTATUS":
                return new SetStatusFilter(d, ArgParsers.Status(A("status", 0)));
            case "REDIRECTTO":
                var status = ArgParsers.Status(A("status", 0));
                var url = A("url", 1);
                return status is >= 300 and < 400 && Uri.TryCreate(url, UriKind.RelativeOrAbsolute, out _)
                    ? new RedirectToFilter(d, status, url)
                    : throw new RouteDefinitionException($"RedirectTo: status must be 3xx and url a URI (got {status}, '{url}')");
            case "REQUESTSIZE":
                return new RequestSizeFilter(d, DataSize.Parse(d.Get("maxSize", 0) ?? "5000000"));
            case "REQUESTRATELIMITER":
                return new RequestRateLimiterFilter(d, routeId, rateLimiter);
            case "RETRY":
                return new RetryFilter(d);
            case "CIRCUITBREAKER":
                return new CircuitBreakerFilter(d);
            default:
                throw new RouteDefinitionException($"unknown filter '{d.Name}'; known filters: {string.Join(", ", Names)}");
        }
    }

    private static Regex Regex(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            throw new RouteDefinitionException($"'{pattern}' is not a valid regular expression: {ex.Message}", ex);
        }
    }
}
