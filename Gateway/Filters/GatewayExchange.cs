using Route = Infrastructure.Gateway.Routing.Route;
using Infrastructure.Discovery.Client;
using Infrastructure.Gateway.Routing;
using Infrastructure.Proxy.Forwarding;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.Gateway.Filters;

/// <summary>One proxied request: the incoming context, its route, and the outgoing path/query the filters shape (Spring's <c>ServerWebExchange</c> attributes).</summary>
internal sealed class GatewayExchange : ProxyExchange
{
    private Dictionary<string, string>? _uriVariables;

    public GatewayExchange(HttpContext context, Route route)
        : base(context)
    {
        Route = route;
        OriginalPath = Path;
    }

    public Route Route { get; set; }

    /// <summary>The path as received (before StripPrefix, RewritePath...).</summary>
    public string OriginalPath { get; }

    /// <summary>The instance of the current attempt (lb:// routes).</summary>
    public ServiceInstance? Instance { get; set; }

    /// <summary>Instances that refused a connection for this request, not to be chosen again.</summary>
    public List<string>? FailedInstances { get; set; }

    /// <summary>Body capture for the access log, on routes with <c>log-bodies</c>.</summary>
    public AccessLog.BodyCapture? Bodies { get; set; }

    /// <summary>The failure that sent this request to a CircuitBreaker fallback, for FallbackHeaders.</summary>
    public Exception? FallbackException { get; set; }

    /// <summary>Variables captured by the route's Path patterns (<c>{segment}</c>), for SetPath.</summary>
    public Dictionary<string, string> UriVariables
    {
        get
        {
            if (_uriVariables is null)
            {
                _uriVariables = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var p in Route.PathPatterns)
                {
                    if (p.TryMatch(OriginalPath, _uriVariables))
                    {
                        break;
                    }
                    _uriVariables.Clear();
                }
            }
            return _uriVariables;
        }
    }
}
