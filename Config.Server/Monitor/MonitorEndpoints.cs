using System.Globalization;
using System.Text.Json;
using Infrastructure.Config.Server.Limits;
using Infrastructure.Config.Server.Security;
using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Monitor;

/// <summary><c>POST /monitor</c> (Spring's git-host webhook or <c>path=...</c> form) and <c>GET /monitor/events</c> (Server-Sent Events).</summary>
internal static class MonitorEndpoints
{
    public static IEndpointRouteBuilder MapMonitorEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/monitor", async (HttpRequest request, RefreshEventBus bus, IOptions<InputLimits> limits) =>
        {
            var paths = await ExtractPathsAsync(request, limits.Value);
            var e = paths.Count == 0 ? null : bus.PublishForPaths(paths, "webhook " + WebhookKind(request));
            // Spring answers with the set of service names it notified.
            return Results.Json(e?.Destinations ?? []);
        }).DisableAntiforgery().RequireAuthorization(ConfigPolicies.Admin);

        app.MapGet("/monitor/events", async (HttpContext ctx, RefreshEventBus bus, string? application, string? profile) =>
        {
            long? lastId = long.TryParse(ctx.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
            var channel = bus.Subscribe(lastId);
            try
            {
                ctx.Response.Headers.ContentType = "text/event-stream";
                ctx.Response.Headers.CacheControl = "no-cache";
                ctx.Response.Headers["X-Accel-Buffering"] = "no";
                await ctx.Response.WriteAsync(": subscribed\n\n", ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                var profiles = profile?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
                while (!ctx.RequestAborted.IsCancellationRequested)
                {
                    using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
                    keepAlive.CancelAfter(TimeSpan.FromSeconds(15));
                    RefreshEvent? e = null;
                    try
                    {
                        if (await channel.Reader.WaitToReadAsync(keepAlive.Token))
                        {
                            channel.Reader.TryRead(out e);
                        }
                        else
                        {
                            break;
                        }
                    }
                    catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
                    {
                        await ctx.Response.WriteAsync(": keep-alive\n\n", ctx.RequestAborted);
                        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                        continue;
                    }
                    if (e is null || (application is not null && !Matches(e, application, profiles)))
                    {
                        continue;
                    }
                    await ctx.Response.Body.WriteAsync(e.SseFrame, ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // client went away
            }
            finally
            {
                bus.Unsubscribe(channel);
            }
        }).RequireAuthorization(ConfigPolicies.Read);
        return app;
    }

    /// <summary>Whether an event concerns an application with the given profiles (same rule as Config.Client's).</summary>
    internal static bool Matches(RefreshEvent e, string application, IReadOnlyList<string> profiles)
    {
        foreach (var d in e.Destinations)
        {
            var colon = d.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? d : d[..colon];
            var profile = colon < 0 ? null : d[(colon + 1)..];
            if ((name == "*" || string.Equals(name, application, StringComparison.OrdinalIgnoreCase))
                && (profile is null || profile == "**" || profiles.Contains(profile, StringComparer.Ordinal)))
            {
                return true;
            }
        }
        return false;
    }

    private static string WebhookKind(HttpRequest r) =>
        r.Headers.ContainsKey("X-Github-Event") ? "github"
        : r.Headers.ContainsKey("X-Gitlab-Event") ? "gitlab"
        : r.Headers.ContainsKey("X-Event-Key") ? "bitbucket"
        : r.Headers.ContainsKey("X-Gitea-Event") ? "gitea"
        : "path";

    /// <summary>Changed file paths from a push payload (<c>commits[].added/modified/removed</c>) or from <c>path</c> form/JSON fields.</summary>
    internal static async Task<List<string>> ExtractPathsAsync(HttpRequest request, InputLimits limits)
    {
        var paths = new List<string>();
        if (request.HasFormContentType)
        {
            var form = await RequestBodyReader.ReadFormAsync(request, limits);
            paths.AddRange(form.Where(f => f.Key == "path" && !string.IsNullOrWhiteSpace(f.Value)).Select(f => f.Value));
            return paths;
        }
        var body = await RequestBodyReader.ReadTextAsync(request, limits);
        if (string.IsNullOrWhiteSpace(body))
        {
            return paths;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException("Webhook body is not JSON: " + e.Message, StatusCodes.Status400BadRequest);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return paths;
            }
            if (root.TryGetProperty("commits", out var commits) && commits.ValueKind == JsonValueKind.Array)
            {
                foreach (var c in commits.EnumerateArray())
                {
                    foreach (var field in new[] { "added", "modified", "removed" })
                    {
                        if (c.ValueKind == JsonValueKind.Object && c.TryGetProperty(field, out var list) && list.ValueKind == JsonValueKind.Array)
                        {
                            paths.AddRange(list.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!));
                        }
                    }
                }
            }
            if (root.TryGetProperty("path", out var path))
            {
                if (path.ValueKind == JsonValueKind.String)
                {
                    paths.Add(path.GetString()!);
                }
                else if (path.ValueKind == JsonValueKind.Array)
                {
                    paths.AddRange(path.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!));
                }
            }
        }
        // A JSON string may still carry an escaped \u0000, which no file name has.
        if (paths.Any(p => p.Contains('\0', StringComparison.Ordinal)))
        {
            throw new BadHttpRequestException("A path in the webhook body contains a NUL character", StatusCodes.Status400BadRequest);
        }
        return paths;
    }
}
