using Microsoft.AspNetCore.Http;
using Serilog;

namespace Infrastructure.ServiceDefaults.Logging;

/// <summary>
/// Adds properties to the one request-log line, called only when that line is actually written, so a busy path pays
/// nothing for fields nobody reads. Register implementations as singletons.
/// </summary>
public interface IRequestLogEnricher
{
    /// <summary>Sets properties on the request's log event (e.g. <c>diagnosticContext.Set("RouteId", ...)</c>).</summary>
    void Enrich(IDiagnosticContext diagnosticContext, HttpContext context);
}
