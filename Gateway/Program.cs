using Infrastructure.Discovery.Client;
using Infrastructure.Gateway;
using Infrastructure.Gateway.Management;
using Infrastructure.Gateway.Security;
using Infrastructure.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
// The mirrored system's well-known port when no --urls / ASPNETCORE_URLS is given.
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:8080");
}
builder.AddServiceDefaults();
builder.AddDiscoveryClient();
builder.AddGateway();
builder.AddGatewaySecurity();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGatewayActuator();
app.UseGateway();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
