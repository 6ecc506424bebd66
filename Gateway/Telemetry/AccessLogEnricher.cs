using Infrastructure.Gateway.Filters;
using Infrastructure.ServiceDefaults.Logging;
using Microsoft.AspNetCore.Http;
using Serilog;

namespace Infrastructure.Gateway.Telemetry;

/// <summary>
/// The gateway's fields on the access-log line (route, upstream instance, consumer, bytes, captured bodies). They are read from the
/// request's <see cref="GatewayExchange"/> only when the line is written, so a proxy with the line turned off pays nothing.
/// </summary>
internal sealed class AccessLogEnricher : IRequestLogEnricher
{
    public void Enrich(IDiagnosticContext diagnosticContext, HttpContext context)
    {
        if (context.Features.Get<GatewayExchange>() is not { } exchange)
        {
            return;
        }
        diagnosticContext.Set("RouteId", exchange.Route.Id);
        diagnosticContext.Set("UpstreamInstance", exchange.Instance?.InstanceId ?? exchange.Route.StaticBase);
        diagnosticContext.Set("Consumer", context.Request.Headers["X-Consumer-Id"].ToString());
        diagnosticContext.Set("ResponseBytes", context.Response.ContentLength);
        exchange.Bodies?.Report(diagnosticContext);
    }
}
