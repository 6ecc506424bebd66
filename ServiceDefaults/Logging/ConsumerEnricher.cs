using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Serilog.Core;
using Serilog.Events;

namespace Infrastructure.ServiceDefaults.Logging;

/// <summary>
/// Adds the authenticated consumer (<c>ClientId</c> from <c>client_id</c>/<c>azp</c>, <c>Subject</c> from <c>sub</c>) to
/// every event written during a request. It reads <see cref="HttpContext.User"/> when the event is written, so it works
/// wherever the app places <c>UseAuthentication</c>, including the request-completed line written after the pipeline ran.
/// The request comes from <see cref="RequestLogScope"/>, so events are enriched inside the request-logging middleware;
/// <c>RequestId</c>, <c>RequestPath</c> and <c>ConnectionId</c> are added too when no hosting scope supplied them.
/// </summary>
internal sealed class ConsumerEnricher : ILogEventEnricher
{
    public const string ClientIdProperty = "ClientId";
    public const string SubjectProperty = "Subject";

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        var context = RequestLogScope.Current?.HttpContext;
        if (context is null)
        {
            return;
        }
        try
        {
            Enrich(logEvent, propertyFactory, context);
        }
        catch (ObjectDisposedException)
        {
            // Background work that flowed from the request can log just as Kestrel recycles its context.
        }
    }

    private static void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory, HttpContext context)
    {
        // ASP.NET Core's hosting scope adds these; with tracing off that scope is not opened (see AddDefaultLogging), so
        // they come from here, computed only for events actually written.
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("RequestId", context.TraceIdentifier));
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("RequestPath", context.Request.Path.Value));
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("ConnectionId", context.Connection.Id));
        var user = context.User;
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
