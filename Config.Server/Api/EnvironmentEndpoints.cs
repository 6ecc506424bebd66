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
        app.MapGet("/{application}/{profile}", (string application, string profile, bool? resolvePlaceholders, EnvironmentService svc) =>
            Results.Bytes(svc.GetJson(application, profile, null, resolvePlaceholders ?? true), "application/json"));
        app.MapGet("/{application}/{profile}/{label}", (string application, string profile, string label, bool? resolvePlaceholders, EnvironmentService svc) =>
            Results.Bytes(svc.GetJson(application, profile, label, resolvePlaceholders ?? true), "application/json"));

        app.MapGet("/{file:" + FileRoute + "}", (string file, bool? resolvePlaceholders, EnvironmentService svc) =>
            Document(svc, null, file, resolvePlaceholders ?? true));
        app.MapGet("/{label}/{file:" + FileRoute + "}", (string label, string file, bool? resolvePlaceholders, EnvironmentService svc) =>
            Document(svc, label, file, resolvePlaceholders ?? true));

        app.MapGet("/{application}/{profile}/{label}/{**path}", (HttpContext ctx, string application, string profile, string label, string path, EnvironmentService svc) =>
        {
            var resource = svc.GetResource(application, profile, label, path);
            if (resource is null)
            {
                return SpringErrors.Result(ctx, StatusCodes.Status404NotFound, $"No such resource: {path} for {application}/{profile}/{label}");
            }
            var content = resource.Content;
            if (TryUtf8(content) is { } text && text.Contains("${", StringComparison.Ordinal))
            {
                // Spring resolves placeholders in text files against the application's environment.
                var merged = PlaceholderResolver.Merge(svc.Get(application, profile, label, true).PropertySources);
                content = Encoding.UTF8.GetBytes(PlaceholderResolver.ResolveValue(text, merged, 0));
            }
            return Results.File(content, ContentTypeFor(path));
        });
        return endpoints;
    }

    private static IResult Document(EnvironmentService svc, string? label, string file, bool resolve)
    {
        var ext = Path.GetExtension(file);
        var stem = file[..^ext.Length];
        // Spring's {application}-{profiles}: the profiles follow the last '-'; no '-' means the default profile.
        var dash = stem.LastIndexOf('-');
        var (application, profile) = dash > 0 ? (stem[..dash], stem[(dash + 1)..]) : (stem, "default");
        var env = svc.Get(application, profile, label, resolve);
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
