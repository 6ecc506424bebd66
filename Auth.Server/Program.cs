using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.Auth.Server;
using Infrastructure.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultUrl(9000);
builder.AddServiceDefaults();
builder.AddAuthServer();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapAuthServer();
return app.RunServer();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
