using Infrastructure.Mesh.ControlPlane;
using Infrastructure.Mesh.ControlPlane.Analysis;
using Infrastructure.Mesh.ControlPlane.Hosting;
using Infrastructure.ServiceDefaults;
using Infrastructure.ServiceDefaults.Lifetime;

if (args.Length > 0 && args[0] == AnalyzeCommand.Name)
{
    return await AnalyzeCommand.RunAsync(args, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultUrl(15010);
builder.UseCleartextHttp2();
builder.AddServiceDefaults();
builder.AddMeshControlPlane();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapMeshControlPlane();
return app.RunServer();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
