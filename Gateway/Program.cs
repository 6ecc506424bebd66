using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.Discovery.Client;
using Infrastructure.Gateway;
using Infrastructure.Gateway.Dashboard;
using Infrastructure.Gateway.Management;
using Infrastructure.Gateway.Security;
using Infrastructure.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultUrl(8080);
builder.AddGatewayDefaults();
builder.AddServiceDefaults();
builder.AddDiscoveryClient();
builder.AddGateway();
builder.AddGatewaySecurity();
builder.AddGatewayDashboard();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGatewayActuator();
app.MapGatewayDashboard();
app.UseGateway();
return app.RunServer();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
