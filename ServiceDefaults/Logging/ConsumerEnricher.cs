using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Serilog.Core;
using Serilog.Events;

namespace Infrastructure.ServiceDefaults.Logging;

/// <summary>
/// Adds the authenticated consumer (<c>ClientId</c> from <c>client_id</c>/<c>azp</c>, <c>Subject</c> from <c>sub</c>) to
/// every event written during a request. It reads <see cref="HttpContext.User"/> when the event is written, so it works
/// wherever the app places <c>UseAuthentication</c>, including the request-completed line written after the pipeline ran.
/// The request comes from <see cref="RequestLogScope"/>, so events are enriched inside the request-logging middleware.
/// </summary>
internal sealed class ConsumerEnricher : ILogEventEnricher
{
    public const string ClientIdProperty = "ClientId";
    public const string SubjectProperty = "Subject";

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        var user = RequestLogScope.Current?.HttpContext?.User;
        if (user?.Identity?.IsAuthenticated != true)
        {
            return;
        }
        var clientId = user.FindFirst("client_id")?.Value ?? user.FindFirst("azp")?.Value;
        // JwtBearer maps "sub" to NameIdentifier unless MapInboundClaims is off.
        var subject = user.FindFirst("sub")?.Value ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (clientId is not null)
        {
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty(ClientIdProperty, clientId));
        }
        if (subject is not null)
        {
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty(SubjectProperty, subject));
        }
    }
}
