using Infrastructure.Mesh.Sidecar.Admin;
using Infrastructure.Mesh.Sidecar.Hosting;
using Infrastructure.ServiceDefaults;
using Infrastructure.ServiceDefaults.Lifetime;
using Microsoft.Extensions.Options;

SidecarCommandLine line;
try
{
    line = SidecarCommandLine.Parse(args);
}
catch (ArgumentException ex)
{
    return StartupFailure.Report("Mesh.Sidecar", ex.Message);
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. line.HostArguments] });
if (builder.AddSidecar(line) is { Count: > 0 } problems)
{
    return StartupFailure.Report("Mesh.Sidecar", string.Join("; ", problems));
}
builder.AddServiceDefaults();

var app = builder.Build();
app.MapSidecar();
app.MapDefaultEndpoints();
app.MapAdmin(app.Services.GetRequiredService<IOptions<SidecarOptions>>().Value.AdminPort);
// Taken before Run: the host's services are disposed when it returns.
var lifecycle = app.Services.GetRequiredService<SidecarLifecycle>();
var exit = app.RunServer();
return exit != 0 ? exit : lifecycle.AppExitCode ?? 0;

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
