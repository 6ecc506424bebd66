using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.Config.Client;
using Infrastructure.Discovery.Client;
using Infrastructure.Samples.MobileBff.Api;
using Infrastructure.Samples.Shared.Chaos;
using Infrastructure.Samples.Shared.Composition;
using Infrastructure.ServiceDefaults.Security;
using Infrastructure.ServiceDefaults;
using Infrastructure.ServiceDefaults.Logging;

var builder = WebApplication.CreateBuilder(args);
// Config.Client logs while it loads, before the host exists: in the host's Serilog format, not the default console's.
builder.AddConfigServer(builder.CreateBootstrapLoggerFactory());
builder.AddServiceDefaults();
builder.AddDiscoveryClient();
// Not an API resource of its own: it relays the caller's token to the gateway, so it accepts what the gateway accepts.
builder.AddScopeAuthorization(audience: "gateway", scopes: ["catalog.read"]);
builder.AddGatewayClient();

var app = builder.Build();
app.UseChaos();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.MapMobile();
return app.RunServer();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
