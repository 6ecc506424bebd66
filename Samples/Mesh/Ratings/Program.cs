using System.Collections.Concurrent;
using System.Globalization;
using Infrastructure.Samples.Mesh.Ratings;

// Bookinfo's ratings: a .NET service that knows nothing of the mesh. Its sidecar registers it, terminates mTLS,
// enforces the AuthorizationPolicy and forwards to this loopback port (env PORT or the first argument; default 9083).
var port = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out var p) ? p
    : int.TryParse(Environment.GetEnvironmentVariable("PORT"), CultureInfo.InvariantCulture, out p) ? p : 9083;
var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, RatingsJson.Default));
var app = builder.Build();

var instance = string.Create(CultureInfo.InvariantCulture, $"ratings@127.0.0.1:{port}");
var ratings = new ConcurrentDictionary<int, Dictionary<string, int>>();
var chaos = new Chaos();
app.MapGet("/health", () => Results.Json(new Health("UP"), RatingsJson.Default.Health));
app.MapGet("/ratings/{id:int}", (int id, HttpRequest request) =>
{
    // A failing instance for the outlier-detection lab: errors on the API only, so its health (and registration) stay UP.
    if (chaos.ShouldFail()) { return Results.Json(new Failure("injected failure", instance), RatingsJson.Default.Failure, statusCode: 503); }
    var stars = ratings.GetValueOrDefault(id) ?? new Dictionary<string, int> { ["Reviewer1"] = 5, ["Reviewer2"] = 4 };
    return Results.Json(new Rating(id, stars, instance, TraceHeaders.From(request)), RatingsJson.Default.Rating);
});
app.MapDelete("/ratings/{id:int}", (int id) =>
{
    ratings[id] = [];
    return Results.Json(new Deleted(id, "deleted", instance), RatingsJson.Default.Deleted);
});
// The fault switch every sample has (POST /chaos {"errorRatio":1.0}, DELETE /chaos), on the app's own port.
app.MapPost("/chaos", (ChaosSettings settings) =>
{
    chaos.ErrorRatio = Math.Clamp(settings.ErrorRatio, 0, 1);
    return Results.Json(new ChaosSettings(chaos.ErrorRatio), RatingsJson.Default.ChaosSettings);
});
app.MapDelete("/chaos", () =>
{
    chaos.ErrorRatio = 0;
    return Results.Json(new ChaosSettings(0), RatingsJson.Default.ChaosSettings);
});
Console.WriteLine($"ratings listening on http://127.0.0.1:{port}");
app.Run();
