using Infrastructure.Config.Server.Api;
using Infrastructure.Config.Server.Environment;
using Infrastructure.Config.Server.Limits;
using Infrastructure.Config.Server.Security;
using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Postgres;

/// <summary>The write API of the PostgreSQL backend: <c>PUT/DELETE /admin/properties/{application}/{profile}/{label}/{key}</c> and <c>GET /admin/history</c>.</summary>
internal static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<PostgresEnvironmentRepository>() is null)
        {
            return app; // only the PostgreSQL backend is writable
        }
        var group = app.MapGroup("/admin").RequireAuthorization(ConfigPolicies.Admin);
        group.MapPut("/properties/{application}/{profile}/{label}/{key}", async (HttpContext ctx, string application, string profile, string label, string key, PostgresEnvironmentRepository repo, IOptions<InputLimits> limits) =>
        {
            Check(application, profile, label, key);
            var value = await RequestBodyReader.ReadTextAsync(ctx.Request, limits.Value);
            var change = await repo.WriteAsync(application, profile, RequestGuard.DecodeLabel(label), key, value, Who(ctx), ctx.RequestAborted);
            return Results.Ok(change);
        });
        group.MapDelete("/properties/{application}/{profile}/{label}/{key}", async (HttpContext ctx, string application, string profile, string label, string key, PostgresEnvironmentRepository repo) =>
        {
            Check(application, profile, label, key);
            var change = await repo.WriteAsync(application, profile, RequestGuard.DecodeLabel(label), key, null, Who(ctx), ctx.RequestAborted);
            return change is null
                ? SpringErrors.Result(ctx, StatusCodes.Status404NotFound, $"No property {key} for {application}/{profile}/{label}")
                : Results.Ok(change);
        });
        group.MapGet("/history", async (string? application, int? limit, PostgresEnvironmentRepository repo, CancellationToken ct) =>
            Results.Ok(await repo.HistoryAsync(application, Math.Clamp(limit ?? 100, 1, 1000), ct)));
        return app;
    }

    private static void Check(string application, string profile, string label, string key)
    {
        RequestGuard.CheckSegment("application", application);
        RequestGuard.CheckSegment("profile", profile);
        if (string.IsNullOrWhiteSpace(label) || string.IsNullOrWhiteSpace(key) || key.Length > 512)
        {
            throw new BadConfigRequestException("label and key must be non-empty (key at most 512 characters)");
        }
    }

    /// <summary>The authenticated user when there is one, else the caller-supplied <c>X-Changed-By</c> header, else the remote address.</summary>
    private static string Who(HttpContext ctx) =>
        ctx.User.Identity?.IsAuthenticated == true && ctx.User.Identity.Name is { } n ? n
        : ctx.Request.Headers["X-Changed-By"].FirstOrDefault() is { Length: > 0 } h ? h
        : ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
