using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Infrastructure.Discovery.Server.Registry;
using Microsoft.Extensions.Options;
using Infrastructure.ServiceDefaults.Web;

namespace Infrastructure.Discovery.Server.Api;

/// <summary>
/// Receives Eureka's batched peer replication (<c>POST /eureka/peerreplication/batch/</c>,
/// <c>{"replicationList":[{"action","appName","id","lastDirtyTimestamp","overriddenStatus","status","instanceInfo"}]}</c>)
/// so Netflix/Spring Eureka nodes can be peers of ours. Every item is applied as replicated (never forwarded again).
/// </summary>
internal static class PeerReplicationBatch
{
    public static async Task<IResult> HandleAsync(HttpContext ctx, InstanceRegistry registry, IOptionsMonitor<EurekaServerOptions> options, TimeProvider time)
    {
        // Batches carry many instances, so they get a larger allowance than one registration.
        var max = options.CurrentValue.MaxRequestBodyBytes * 64;
        var body = await BoundedBody.ReadAsync(ctx.Request, max, ctx.RequestAborted);
        if (body is null)
        {
            return EurekaApi.BadRequest($"Request body is larger than {max} bytes");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            return EurekaApi.BadRequest("Malformed JSON: " + ex.Message);
        }
        using (doc)
        {
            // Checked for the whole batch first, so a bad string in item 5 cannot leave items 1-4 applied and answer 500.
            if (!InstanceReader.IsDecodable(doc.RootElement))
            {
                return EurekaApi.BadRequest(InstanceReader.UndecodableText);
            }
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("replicationList", out var list)
                || list.ValueKind != JsonValueKind.Array)
            {
                return EurekaApi.BadRequest("Malformed batch: expected {\"replicationList\":[...]}");
            }
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var buffer = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteStartArray("responseList");
                foreach (var item in list.EnumerateArray())
                {
                    var (status, entity) = Apply(item, registry, now);
                    w.WriteStartObject();
                    w.WriteNumber("statusCode", status);
                    if (entity is { } e)
                    {
                        w.WritePropertyName("responseEntity");
                        EurekaJsonWriter.WriteInstance(w, e);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            return Results.Bytes(buffer.WrittenSpan.ToArray(), "application/json");
        }
    }

    private static (int Status, RegisteredInstance? Entity) Apply(JsonElement item, InstanceRegistry registry, long now)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return (StatusCodes.Status400BadRequest, null);
        }
        var action = Text(item, "action");
        var app = Text(item, "appName") ?? string.Empty;
        var id = Text(item, "id") ?? string.Empty;
        long? dirty = Text(item, "lastDirtyTimestamp") is { } d && long.TryParse(d, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
        var status = Text(item, "status");
        var overridden = Text(item, "overriddenStatus");
        switch (action)
        {
            case "Register":
                if (!item.TryGetProperty("instanceInfo", out var info) || info.ValueKind != JsonValueKind.Object
                    || InstanceReader.FromJsonElement(info, now, out _) is not { } instance)
                {
                    return (StatusCodes.Status400BadRequest, null);
                }
                registry.Register(instance, isReplication: true);
                return (StatusCodes.Status200OK, null);
            case "Heartbeat":
                var result = registry.Renew(app, id, isReplication: true, dirty,
                    overridden is null ? null : InstanceStatusParser.ParseOrUnknown(overridden));
                return result switch
                {
                    RenewResult.Ok => (StatusCodes.Status200OK, null),
                    RenewResult.Conflict when registry.TryGetInstance(app, id, out var ours) => (StatusCodes.Status409Conflict, ours),
                    _ => (StatusCodes.Status404NotFound, null),
                };
            case "Cancel":
                return (registry.Cancel(app, id, isReplication: true) ? StatusCodes.Status200OK : StatusCodes.Status404NotFound, null);
            case "StatusUpdate":
                if (!InstanceStatusParser.TryParse(status, out var newStatus))
                {
                    return (StatusCodes.Status400BadRequest, null);
                }
                return (registry.StatusUpdate(app, id, newStatus, dirty, isReplication: true) ? StatusCodes.Status200OK : StatusCodes.Status404NotFound, null);
            case "DeleteStatusOverride":
                var after = status is null ? InstanceStatus.UNKNOWN : InstanceStatusParser.ParseOrUnknown(status);
                return (registry.DeleteStatusOverride(app, id, after, dirty, isReplication: true) ? StatusCodes.Status200OK : StatusCodes.Status404NotFound, null);
            default:
                return (StatusCodes.Status400BadRequest, null);
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;
}
