using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.Discovery.Server.Api;
using Infrastructure.Discovery.Server.Consul;
using Infrastructure.Discovery.Server.Dashboard;
using Infrastructure.Discovery.Server.Eviction;
using Infrastructure.Discovery.Server.Registry;
using Infrastructure.Discovery.Server.Replication;
using Infrastructure.Discovery.Server.Security;
using Infrastructure.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultUrl(8761);
builder.AddServiceDefaults();
builder.AddEurekaRegistry();
builder.AddEviction();
builder.AddReplication();
builder.AddRegistrySecurity();
builder.AddConsulApi();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseRegistrySecurity();
app.MapEurekaApi();
app.MapConsul(app.Configuration);
app.MapDashboard();
return app.RunServer();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
