using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.Config.Server;
using Infrastructure.Config.Server.Api;
using Infrastructure.Config.Server.Encryption;
using Infrastructure.Config.Server.Monitor;
using Infrastructure.Config.Server.Postgres;
using Infrastructure.Config.Server.Security;
using Infrastructure.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultUrl(8888);
builder.AddServiceDefaults();
builder.AddConfigBackends();
builder.AddConfigEncryption();
builder.AddConfigMonitor();
builder.AddConfigSecurity();

var app = builder.Build();
// Request logging first: outside the error handler its line carries the status the client got (a refused request is a 400),
// not the 500 of the exception passing through on its way to the handler.
app.MapDefaultEndpoints();
app.UseSpringErrors();
app.UseAuthentication();
app.UseAuthorization();
app.MapEncryptionEndpoints();
app.MapMonitorEndpoints();
app.MapAdminEndpoints();
app.MapEnvironmentEndpoints();
return app.RunServer();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
