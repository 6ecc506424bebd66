using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.Auth.Server;
using Infrastructure.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultUrl(9000);
builder.AddServiceDefaults();
builder.AddAuthServer();
// Only when Auth.Server is the process: under WebApplicationFactory the start itself must fail, with the exception.
if (System.Reflection.Assembly.GetEntryAssembly() == typeof(Program).Assembly && builder.ConfigurationProblems() is { } problems)
{
    return StartupFailure.Report("Auth.Server", "fix the configuration: " + problems);
}

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapAuthServer();
return app.RunServer();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
