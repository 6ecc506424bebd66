using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.Config.Client;
using Infrastructure.Discovery.Client;
using Infrastructure.Samples.Shared.Chaos;
using Infrastructure.Samples.Shared.Composition;
using Infrastructure.Samples.WebBff.Api;
using Infrastructure.Samples.WebBff.Sessions;
using Infrastructure.ServiceDefaults;
using Infrastructure.ServiceDefaults.Logging;

var builder = WebApplication.CreateBuilder(args);
// Config.Client logs while it loads, before the host exists: in the host's Serilog format, not the default console's.
builder.AddConfigServer(builder.CreateBootstrapLoggerFactory());
builder.AddServiceDefaults();
builder.AddDiscoveryClient();
builder.AddBffSessions();
builder.AddGatewayClient();

var app = builder.Build();
app.UseChaos();
app.MapDefaultEndpoints();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.MapBff();
return app.RunServer();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
