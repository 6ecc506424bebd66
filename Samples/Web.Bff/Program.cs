using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.Config.Client;
using Infrastructure.Discovery.Client;
using Infrastructure.Samples.Shared.Chaos;
using Infrastructure.Samples.Shared.Composition;
using Infrastructure.Samples.WebBff.Api;
using Infrastructure.Samples.WebBff.Sessions;
using Infrastructure.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddConfigServer();
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
