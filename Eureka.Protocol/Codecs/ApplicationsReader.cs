using System.Text.Json;

namespace Infrastructure.Eureka.Protocol;

/// <summary>
/// Reads <c>{"applications":{...}}</c> as a client receives it from <c>GET /eureka/apps</c> and <c>/eureka/apps/delta</c>,
/// leniently: a single <c>application</c> or <c>instance</c> may arrive as an object instead of an array, numbers and
/// booleans as strings, and missing fields take a client's defaults. The fields are read by <see cref="InstanceFields"/>.
/// </summary>
internal static class ApplicationsReader
{
    /// <summary>Parses an applications document.</summary>
    /// <exception cref="JsonException">The document is not an applications document.</exception>
    public static ApplicationsDocument Parse(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("applications", out var apps) || apps.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("expected {\"applications\":{...}}");
        }
        var instances = new List<InstanceInfo>();
        if (apps.TryGetProperty("application", out var appList))
        {
            foreach (var app in OneOrMany(appList))
            {
                var appName = app.TryGetProperty("name", out var n) ? AsString(n) : null;
                if (app.TryGetProperty("instance", out var instList))
                {
                    foreach (var inst in OneOrMany(instList))
                    {
                        instances.Add(ParseInstance(inst, appName));
                    }
                }
            }
        }
        return new ApplicationsDocument(
            apps.TryGetProperty("versions__delta", out var v) ? AsString(v) : null,
            apps.TryGetProperty("apps__hashcode", out var h) ? AsString(h) : null,
            instances);
    }

    /// <summary>Parses one instance object (the value of <c>instance</c>); <paramref name="appName"/> stands in for a missing <c>app</c>.</summary>
    /// <exception cref="JsonException">Not an object, or without host or application name.</exception>
    public static InstanceInfo ParseInstance(JsonElement e, string? appName = null)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("an instance must be a JSON object");
        }
        var r = new RawInstance();
        foreach (var p in e.EnumerateObject())
        {
            InstanceFields.Read(r, p.Name, new JsonWireValue(p.Value));
        }
        var hostName = r.HostName ?? throw new JsonException("instance without hostName");
        return new InstanceInfo
        {
            // Eureka defaults the id to the host name when a client sends none.
            InstanceId = r.InstanceId is { Length: > 0 } id ? id : hostName,
            App = (r.App ?? appName ?? throw new JsonException($"instance {hostName} without app")).ToUpperInvariant(),
            HostName = hostName,
            IpAddr = r.IpAddr ?? "",
            Status = r.Status is null ? InstanceStatus.UNKNOWN : InstanceStatusParser.ParseOrUnknown(r.Status),
            OverriddenStatus = r.OverriddenStatus is null ? InstanceStatus.UNKNOWN : InstanceStatusParser.ParseOrUnknown(r.OverriddenStatus),
            Port = (int)(WireNumbers.Long(r.Port) ?? 0),
            PortEnabled = Bool(r.PortEnabled) ?? true,
            SecurePort = (int)(WireNumbers.Long(r.SecurePort) ?? 443),
            SecurePortEnabled = Bool(r.SecurePortEnabled) ?? false,
            VipAddress = r.VipAddress,
            SecureVipAddress = r.SecureVipAddress,
            HomePageUrl = r.HomePageUrl,
            StatusPageUrl = r.StatusPageUrl,
            HealthCheckUrl = r.HealthCheckUrl,
            Metadata = r.Metadata ?? InstanceInfo.EmptyMap,
            RenewalIntervalInSecs = (int)(WireNumbers.Long(r.RenewalIntervalInSecs) ?? InstanceInfo.DefaultRenewalIntervalInSecs),
            DurationInSecs = (int)(WireNumbers.Long(r.DurationInSecs) ?? InstanceInfo.DefaultDurationInSecs),
            LastUpdatedTimestamp = WireNumbers.Long(r.LastUpdatedTimestamp) ?? 0,
            LastDirtyTimestamp = WireNumbers.Long(r.LastDirtyTimestamp) ?? 0,
            ActionType = InstanceStatusParser.TryParseAction(r.ActionType, out var action) ? action : null,
        };
    }

    private static IEnumerable<JsonElement> OneOrMany(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => e.EnumerateArray(),
        JsonValueKind.Object => [e],
        _ => [],
    };

    private static string? AsString(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => null,
    };

    private static bool? Bool(string? text) => bool.TryParse(text, out var b) ? b : null;
}
