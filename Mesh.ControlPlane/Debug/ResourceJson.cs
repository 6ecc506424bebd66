using System.Text.Json.Nodes;
using Google.Protobuf;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;

namespace Infrastructure.Mesh.ControlPlane.Debug;

/// <summary>A resource as Istio shows it (<c>apiVersion</c>, <c>kind</c>, <c>metadata</c>, <c>spec</c> with Istio's field names), plus its source.</summary>
internal static class ResourceJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatEnumsAsIntegers(false));

    public static JsonObject Write(MeshResource resource)
    {
        IMessage spec = resource.SpecCase switch
        {
            MeshResource.SpecOneofCase.VirtualService => resource.VirtualService,
            MeshResource.SpecOneofCase.DestinationRule => resource.DestinationRule,
            MeshResource.SpecOneofCase.PeerAuthentication => resource.PeerAuthentication,
            _ => resource.AuthorizationPolicy,
        };
        return new JsonObject
        {
            ["apiVersion"] = resource.ApiVersion,
            ["kind"] = resource.Kind,
            ["metadata"] = JsonNode.Parse(Formatter.Format(resource.Metadata)),
            ["spec"] = JsonNode.Parse(Formatter.Format(spec)),
            ["source"] = resource.Source,
        };
    }

    public static JsonObject Write(ResourceError error) => new()
    {
        ["source"] = error.Source,
        ["resource"] = error.Resource,
        ["field"] = error.Field,
        ["message"] = error.Message,
    };

    /// <summary>The kind of a type URL (its last segment).</summary>
    public static string KindOf(string typeUrl) => typeUrl[(typeUrl.LastIndexOf('/') + 1)..];
}
