using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Infrastructure.Discovery.Client.Eureka.Transport;

/// <summary>
/// Eureka's JSON wire format, written and read by hand because the format has quirks a POCO serializer
/// handles badly: <c>{"$":8080,"@enabled":"true"}</c> ports, a single <c>instance</c>/<c>application</c>
/// arriving as an object instead of an array, numbers and booleans sent as strings.
/// </summary>
internal static class EurekaJson
{
    public const string DataCenterInfoClass = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo";

    /// <summary>The body of a register call: <c>{"instance":{...}}</c>.</summary>
    public static byte[] WriteRegistration(InstanceInfo i)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("instance");
            w.WriteString("instanceId", i.InstanceId);
            w.WriteString("hostName", i.HostName);
            w.WriteString("app", i.App);
            w.WriteString("ipAddr", i.IpAddr);
            w.WriteString("status", i.Status);
            w.WriteString("overriddenstatus", i.OverriddenStatus);
            WritePort(w, "port", i.Port, i.PortEnabled);
            WritePort(w, "securePort", i.SecurePort, i.SecurePortEnabled);
            w.WriteNumber("countryId", 1);
            w.WriteStartObject("dataCenterInfo");
            w.WriteString("@class", DataCenterInfoClass);
            w.WriteString("name", "MyOwn");
            w.WriteEndObject();
            w.WriteStartObject("leaseInfo");
            w.WriteNumber("renewalIntervalInSecs", i.RenewalIntervalInSecs);
            w.WriteNumber("durationInSecs", i.DurationInSecs);
            w.WriteNumber("registrationTimestamp", 0);
            w.WriteNumber("lastRenewalTimestamp", 0);
            w.WriteNumber("evictionTimestamp", 0);
            w.WriteNumber("serviceUpTimestamp", 0);
            w.WriteEndObject();
            w.WriteStartObject("metadata");
            if (i.Metadata.Count == 0)
            {
                // What Java clients send for an empty map; servers know to ignore it.
                w.WriteString("@class", "java.util.Collections$EmptyMap");
            }
            foreach (var (k, v) in i.Metadata)
            {
                w.WriteString(k, v);
            }
            w.WriteEndObject();
            WriteOptional(w, "homePageUrl", i.HomePageUrl);
            WriteOptional(w, "statusPageUrl", i.StatusPageUrl);
            WriteOptional(w, "healthCheckUrl", i.HealthCheckUrl);
            WriteOptional(w, "vipAddress", i.VipAddress);
            WriteOptional(w, "secureVipAddress", i.SecureVipAddress);
            w.WriteString("isCoordinatingDiscoveryServer", "false");
            w.WriteString("lastUpdatedTimestamp", i.LastUpdatedTimestamp.ToString(CultureInfo.InvariantCulture));
            w.WriteString("lastDirtyTimestamp", i.LastDirtyTimestamp.ToString(CultureInfo.InvariantCulture));
            w.WriteString("actionType", InstanceStatus.Added);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WritePort(Utf8JsonWriter w, string name, int port, bool enabled)
    {
        w.WriteStartObject(name);
        w.WriteNumber("$", port);
        w.WriteString("@enabled", enabled ? "true" : "false");
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>Parses <c>{"applications":{...}}</c> as served by <c>GET /eureka/apps</c> and <c>/eureka/apps/delta</c>.</summary>
    /// <exception cref="JsonException">The document is not an applications document.</exception>
    public static ApplicationsDocument ParseApplications(ReadOnlyMemory<byte> json)
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

    /// <summary>Parses one instance object (the value of <c>instance</c>).</summary>
    public static InstanceInfo ParseInstance(JsonElement e, string? appName = null)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("an instance must be a JSON object");
        }
        var hostName = Str(e, "hostName") ?? throw new JsonException("instance without hostName");
        var app = (Str(e, "app") ?? appName ?? throw new JsonException($"instance {hostName} without app")).ToUpperInvariant();
        var (port, portEnabled) = Port(e, "port", 0, true);
        var (securePort, securePortEnabled) = Port(e, "securePort", 443, false);
        int renewal = 30, duration = 90;
        if (e.TryGetProperty("leaseInfo", out var lease) && lease.ValueKind == JsonValueKind.Object)
        {
            renewal = (int)(Num(lease, "renewalIntervalInSecs") ?? 30);
            duration = (int)(Num(lease, "durationInSecs") ?? 90);
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in md.EnumerateObject())
            {
                if (p.Name != "@class" && AsString(p.Value) is { } s)
                {
                    metadata[p.Name] = s;
                }
            }
        }
        return new InstanceInfo
        {
            // Eureka defaults the id to the host name when a client sends none.
            InstanceId = Str(e, "instanceId") is { Length: > 0 } id ? id : hostName,
            App = app,
            HostName = hostName,
            IpAddr = Str(e, "ipAddr") ?? "",
            Status = (Str(e, "status") ?? InstanceStatus.Unknown).ToUpperInvariant(),
            OverriddenStatus = (Str(e, "overriddenStatus") ?? Str(e, "overriddenstatus") ?? InstanceStatus.Unknown).ToUpperInvariant(),
            Port = port,
            PortEnabled = portEnabled,
            SecurePort = securePort,
            SecurePortEnabled = securePortEnabled,
            VipAddress = Str(e, "vipAddress"),
            SecureVipAddress = Str(e, "secureVipAddress"),
            HomePageUrl = Str(e, "homePageUrl"),
            StatusPageUrl = Str(e, "statusPageUrl"),
            HealthCheckUrl = Str(e, "healthCheckUrl"),
            Metadata = metadata,
            RenewalIntervalInSecs = renewal,
            DurationInSecs = duration,
            LastUpdatedTimestamp = Num(e, "lastUpdatedTimestamp") ?? 0,
            LastDirtyTimestamp = Num(e, "lastDirtyTimestamp") ?? 0,
            ActionType = Str(e, "actionType")?.ToUpperInvariant(),
        };
    }

    private static IEnumerable<JsonElement> OneOrMany(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => e.EnumerateArray(),
        JsonValueKind.Object => [e],
        _ => [],
    };

    private static (int Port, bool Enabled) Port(JsonElement e, string name, int defaultPort, bool defaultEnabled)
    {
        if (!e.TryGetProperty(name, out var p))
        {
            return (defaultPort, defaultEnabled);
        }
        if (p.ValueKind != JsonValueKind.Object)
        {
            // Some clients send a bare number.
            return ((int)(AsLong(p) ?? defaultPort), defaultEnabled);
        }
        var port = p.TryGetProperty("$", out var v) ? (int)(AsLong(v) ?? defaultPort) : defaultPort;
        var enabled = p.TryGetProperty("@enabled", out var en) ? AsBool(en) ?? defaultEnabled : defaultEnabled;
        return (port, enabled);
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? AsString(v) : null;

    private static long? Num(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? AsLong(v) : null;

    private static string? AsString(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => null,
    };

    private static long? AsLong(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number when v.TryGetInt64(out var n) => n,
        JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    private static bool? AsBool(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when bool.TryParse(v.GetString(), out var b) => b,
        _ => null,
    };
}
