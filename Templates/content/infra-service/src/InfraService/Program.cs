using System.Security.Claims;
using Infrastructure.Config.Client;
using Infrastructure.Discovery.Client;
using Infrastructure.ServiceDefaults;
using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.ServiceDefaults.Logging;
using Infrastructure.ServiceDefaults.Security;
using InfraService;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
// Config.Server first, so everything below can be configured there: GET {Spring:Cloud:Config:Uri}/infraservice/{environment}.
// Its lines (written before the host exists) come out in the same Serilog format as the service's.
builder.AddConfigServer(builder.CreateBootstrapLoggerFactory());
// Serilog, OpenTelemetry (OTEL_* variables, Tracing:Zipkin:Endpoint), /actuator/health, Spring's environment variables.
builder.AddServiceDefaults();
// Registers with Discovery.Server (Eureka:Client:ServiceUrl) and resolves http://{app}/ names from its registry.
builder.AddDiscoveryClient();
// Bearer tokens from Auth.Server (Auth:Authority) issued for the API resource "infraservice".
builder.AddScopeAuthorization(audience: "infraservice", scopes: [GreetingOptions.ReadScope]);
builder.Services.AddOptions<GreetingOptions>().BindConfiguration(GreetingOptions.Section);

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();

// IOptionsMonitor follows Config.Server: an edit in the config repository shows here without a restart.
app.MapGet("/api/greeting", (IOptionsMonitor<GreetingOptions> greeting, ClaimsPrincipal user) =>
        new { message = greeting.CurrentValue.Message, client = user.FindFirst("client_id")?.Value })
    .RequireAuthorization(ScopeAuthExtensions.Policy(GreetingOptions.ReadScope));

return app.RunServer();

/// <summary>Entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
