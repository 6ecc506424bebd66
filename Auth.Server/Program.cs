using Infrastructure.Auth.Server;
using Infrastructure.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
// The mirrored system's well-known port when no --urls / ASPNETCORE_URLS is given.
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:9000");
}
builder.AddServiceDefaults();
builder.AddAuthServer();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapAuthServer();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
