using System.Text;
using Infrastructure.Config.Server.Environment;
using Infrastructure.Config.Server.Security;

namespace Infrastructure.Config.Server.Api;

/// <summary>Spring Cloud Config's read API: environments, merged yml/properties/json documents and plain text files.</summary>
internal static class EnvironmentEndpoints
{
    private const string FileRoute = @"regex(^.+\.(yml|yaml|properties|json)$)";

    public static IEndpointRouteBuilder MapEnvironmentEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var app = endpoints.MapGroup("").RequireAuthorization(ConfigPolicies.Read);
        // The JSON environment; ?resolvePlaceholders=false returns values as written.
        app.MapGet("/{application}/{profile}", async (string application, string profile, bool? resolvePlaceholders, EnvironmentService svc, CancellationToken ct) =>
            Results.Bytes(await svc.GetJsonAsync(application, profile, null, resolvePlaceholders ?? true, ct), "application/json"));
        app.MapGet("/{application}/{profile}/{label}", async (string application, string profile, string label, bool? resolvePlaceholders, EnvironmentService svc, CancellationToken ct) =>
            Results.Bytes(await svc.GetJsonAsync(application, profile, label, resolvePlaceholders ?? true, ct), "application/json"));

        app.MapGet("/{file:" + FileRoute + "}", (string file, bool? resolvePlaceholders, EnvironmentService svc, CancellationToken ct) =>
            DocumentAsync(svc, null, file, resolvePlaceholders ?? true, ct));
        app.MapGet("/{label}/{file:" + FileRoute + "}", (string label, string file, bool? resolvePlaceholders, EnvironmentService svc, CancellationToken ct) =>
            DocumentAsync(svc, label, file, resolvePlaceholders ?? true, ct));

        app.MapGet("/{application}/{profile}/{label}/{**path}", async (HttpContext ctx, string application, string profile, string label, string path, EnvironmentService svc, CancellationToken ct) =>
        {
            var resource = await svc.GetResourceAsync(application, profile, label, path, ct);
            if (resource is null)
            {
                return SpringErrors.Result(ctx, StatusCodes.Status404NotFound, $"No such resource: {path} for {application}/{profile}/{label}");
            }
            var content = resource.Content;
            if (TryUtf8(content) is { } text && text.Contains("${", StringComparison.Ordinal))
            {
                // Spring resolves placeholders in text files against the application's environment.
                var merged = PlaceholderResolver.Merge((await svc.GetAsync(application, profile, label, true, ct)).PropertySources);
                content = Encoding.UTF8.GetBytes(PlaceholderResolver.ResolveValue(text, merged, 0));
            }
            return Results.File(content, ContentTypeFor(path));
        });
        return endpoints;
    }

    private static async Task<IResult> DocumentAsync(EnvironmentService svc, string? label, string file, bool resolve, CancellationToken ct)
    {
        var ext = Path.GetExtension(file);
        var stem = file[..^ext.Length];
        // Spring's {application}-{profiles}: the profiles follow the last '-'; no '-' means the default profile.
        var dash = stem.LastIndexOf('-');
        var (application, profile) = dash > 0 ? (stem[..dash], stem[(dash + 1)..]) : (stem, "default");
        var env = await svc.GetAsync(application, profile, label, resolve, ct);
        var merged = PlaceholderResolver.Merge(env.PropertySources);
        return ext.ToLowerInvariant() switch
        {
            ".properties" => Results.Text(EnvironmentRenderer.ToProperties(merged), "text/plain", Encoding.UTF8),
            ".json" => Results.Text(EnvironmentRenderer.ToJson(merged), "application/json", Encoding.UTF8),
            _ => Results.Text(EnvironmentRenderer.ToYaml(merged), "text/plain", Encoding.UTF8),
        };
    }

    private static string? TryUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static string ContentTypeFor(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".json" => "application/json",
        ".xml" => "application/xml",
        ".html" => "text/html",
        _ => "text/plain",
    };
}
