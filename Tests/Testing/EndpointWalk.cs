using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Infrastructure.Testing;

/// <summary>The guard of the protected-endpoint walks: which mapped endpoints accept a write, and which of them no list names.</summary>
public static class EndpointWalk
{
    /// <summary>Stands for "every method": an endpoint mapped without method metadata answers POST, PUT and DELETE too.</summary>
    public const string AnyMethod = "*";

    private static readonly string[] Writes = ["POST", "PUT", "DELETE", "PATCH"];

    /// <summary>
    /// Mapped for every method yet open on purpose in every server: read-only health and metrics, which say nothing a
    /// caller could use to change anything (ServiceDefaults' <c>MapDefaultEndpoints</c>).
    /// </summary>
    public static IReadOnlyList<(string Method, string Route)> ReadOnlyActuator { get; } =
    [
        (AnyMethod, "/actuator/health"),
        (AnyMethod, "/actuator/health/liveness"),
        (AnyMethod, "/actuator/health/readiness"),
        (AnyMethod, "/actuator/prometheus"),
    ];

    /// <summary>Every (method, route pattern) the application maps: one row per method, <see cref="AnyMethod"/> when unrestricted.</summary>
    public static IReadOnlyList<(string Method, string Route)> Endpoints(IServiceProvider services)
    {
        var rows = new List<(string, string)>();
        foreach (var e in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var route = e.RoutePattern.RawText ?? e.DisplayName ?? "?";
            var methods = e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            if (methods is null || methods.Count == 0)
            {
                rows.Add((AnyMethod, route));
                continue;
            }
            rows.AddRange(methods.Select(m => (m.ToUpperInvariant(), route)));
        }
        return rows;
    }

    /// <summary>
    /// What is wrong with the lists, or null: an endpoint accepting POST, PUT, DELETE or PATCH (or any method) that is in
    /// neither list, or a walked row that no longer exists — so a new write endpoint cannot be forgotten and a renamed one
    /// cannot leave a stale row behind. Use with <c>Assert.True(problem is null, problem)</c>: Assert.Null cuts the message short.
    /// </summary>
    public static string? Unlisted(IServiceProvider services, IEnumerable<(string Method, string Route)> walked, IEnumerable<(string Method, string Route)> exempt)
    {
        var mapped = Endpoints(services);
        var walkedSet = walked.ToHashSet();
        var listed = walkedSet.Concat(exempt).ToHashSet();
        var forgotten = mapped
            .Where(e => e.Method == AnyMethod || Writes.Contains(e.Method, StringComparer.Ordinal))
            .Where(e => !listed.Contains(e))
            .Select(e => $"{e.Method} {e.Route}")
            .ToList();
        var stale = walkedSet.Where(w => !mapped.Contains(w)).Select(w => $"{w.Method} {w.Route}").ToList();
        if (forgotten.Count + stale.Count == 0)
        {
            return null;
        }
        return (forgotten.Count > 0 ? "Mapped, accepts writes, and in no list (add it to the walk, or to the exempt list with a reason): " + string.Join(", ", forgotten) + ". " : "")
            + (stale.Count > 0 ? "Walked but not mapped (stale row): " + string.Join(", ", stale) + ". " : "")
            + "Mapped: " + string.Join(", ", mapped.Select(e => $"{e.Method} {e.Route}"));
    }
}
