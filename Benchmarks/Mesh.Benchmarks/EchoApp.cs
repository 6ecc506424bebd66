namespace Infrastructure.Mesh.Benchmarks;

/// <summary>The measured app: answers POST with the body it got and GET with a fixed body, nothing else.</summary>
internal static class EchoApp
{
    public static async Task RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var fixedBody = new byte[1024];
        Array.Fill(fixedBody, (byte)'x');
        app.MapGet("/health", () => Results.Text("UP"));
        app.MapGet("/echo", () => Results.Bytes(fixedBody, "application/octet-stream"));
        app.MapPost("/echo", async (HttpRequest request, HttpResponse response) =>
        {
            response.ContentType = "application/octet-stream";
            await request.Body.CopyToAsync(response.Body, request.HttpContext.RequestAborted);
        });
        await app.RunAsync();
    }
}
