using System.Text.Json.Nodes;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.ControlPlane.Analysis;
using Infrastructure.Mesh.ControlPlane.Config;
using Infrastructure.Mesh.ControlPlane.Push;

namespace Infrastructure.Mesh.ControlPlane.Debug;

/// <summary>istiod's debug pages: <c>/debug/syncz</c> (what <c>istioctl proxy-status</c> reads), <c>/debug/configz</c>, <c>/debug/analyze</c>.</summary>
internal static class DebugEndpoints
{
    public static IEndpointRouteBuilder MapMeshDebug(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/debug").WithTags("debug");
        group.MapGet("/syncz", (ProxyRegistry proxies) => Json(Syncz(proxies)));
        group.MapGet("/configz", (ResourceStore store) => Json(Configz(store.Current)));
        group.MapGet("/analyze", (AnalysisState analysis) => Json(Analyze(analysis.Findings)));
        return endpoints;
    }

    internal static JsonArray Syncz(ProxyRegistry proxies)
    {
        var list = new JsonArray();
        foreach (var connection in proxies.Connections.OrderBy(c => c.Node.Id, StringComparer.Ordinal))
        {
            lock (connection.Gate)
            {
                var types = new JsonObject();
                foreach (var typeUrl in ResourceTypes.All)
                {
                    var state = connection.Type(typeUrl);
                    types[ResourceJson.KindOf(typeUrl)] = new JsonObject
                    {
                        ["typeUrl"] = typeUrl,
                        ["status"] = state.Status,
                        ["sentVersion"] = state.SentVersion,
                        ["sentNonce"] = state.SentNonce,
                        ["sentAt"] = state.SentAt?.ToString("O"),
                        ["pushes"] = state.SentCount,
                        ["ackedVersion"] = state.AckedVersion,
                        ["error"] = state.NackError,
                    };
                }
                list.Add(new JsonObject
                {
                    ["proxy"] = connection.Node.Id,
                    ["app"] = connection.Node.App,
                    ["instance"] = connection.Node.InstanceId,
                    ["namespace"] = string.IsNullOrEmpty(connection.Node.Namespace) ? ResourceTypes.DefaultNamespace : connection.Node.Namespace,
                    ["proxyVersion"] = connection.Node.ProxyVersion,
                    ["labels"] = new JsonObject(connection.Node.Labels.OrderBy(l => l.Key, StringComparer.Ordinal)
                        .Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))),
                    ["peer"] = connection.Peer,
                    ["connectedAt"] = connection.ConnectedAt.ToString("O"),
                    ["types"] = types,
                });
            }
        }
        return list;
    }

    internal static JsonObject Configz(ResourceSnapshot snapshot) => new()
    {
        ["generation"] = snapshot.Generation,
        ["resources"] = new JsonArray(snapshot.Resources.Select(r => (JsonNode)ResourceJson.Write(r)).ToArray()),
        ["rejected"] = new JsonArray(snapshot.Rejected.Select(e => (JsonNode)ResourceJson.Write(e)).ToArray()),
    };

    internal static JsonArray Analyze(IReadOnlyList<Finding> findings) =>
        new(findings.Select(f => (JsonNode)new JsonObject
        {
            ["level"] = f.Level.ToString(),
            ["code"] = f.Code,
            ["resource"] = f.Resource,
            ["source"] = f.Source,
            ["message"] = f.Message,
            ["line"] = f.ToString(),
        }).ToArray());

    // Readable in a terminal: "reviews+v3", not "reviews\u002Bv3". The pages are JSON served as such, never embedded in HTML.
    private static readonly System.Text.Json.JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(Indented), "application/json");
}
