using System.Globalization;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace Infrastructure.Eureka.Protocol;

/// <summary>
/// Eureka's instance fields, named once for every codec: <see cref="Read"/> is where a field of a JSON or XML instance
/// is parsed (by the server's validating reader and the client's lenient one alike), <see cref="Write"/> is the order
/// and shape in which the JSON and XML writers put them on the wire.
/// </summary>
internal static class InstanceFields
{
    /// <summary>What Eureka writes as the metadata of an instance without metadata (for old XStream-era clients; its readers skip the key).</summary>
    public const string EmptyMapClass = "java.util.Collections$EmptyMap";

    /// <summary>Reads one field of an instance, whatever the codec; unknown fields are ignored, as Eureka's codecs do.</summary>
    public static void Read<T>(RawInstance r, string name, T v)
        where T : IWireValue
    {
        switch (name)
        {
            case "instanceId": r.InstanceId = v.Text(); break;
            case "hostName": r.HostName = v.Text(); break;
            case "app": r.App = v.Text(); break;
            case "appGroupName": r.AppGroupName = v.Text(); break;
            case "ipAddr": r.IpAddr = v.Text(); break;
            case "sid": r.Sid = v.Text(); break;
            case "status": r.Status = v.Text(); break;
            // Jackson writes overriddenStatus, XStream overriddenstatus; both codecs accept either.
            case "overriddenStatus":
            case "overriddenstatus": r.OverriddenStatus = v.Text(); break;
            case "port": r.Port = v.Scalar(); r.PortEnabled = v.Attribute("enabled"); r.HasPort = true; break;
            case "securePort": r.SecurePort = v.Scalar(); r.SecurePortEnabled = v.Attribute("enabled"); break;
            case "countryId": r.CountryId = v.Text(); break;
            case "dataCenterInfo":
                if (v.IsObject)
                {
                    r.HasDataCenter = true;
                    r.DataCenterClass = v.Attribute("class");
                    r.DataCenterName = v.Child("name");
                    r.DataCenterMetadata = v.ChildMap("metadata");
                }
                break;
            case "leaseInfo":
                if (v.IsObject)
                {
                    r.RenewalIntervalInSecs = v.Child("renewalIntervalInSecs");
                    r.DurationInSecs = v.Child("durationInSecs");
                }
                break;
            case "metadata": r.Metadata = v.Map(); break;
            case "homePageUrl": r.HomePageUrl = v.Text(); break;
            case "statusPageUrl": r.StatusPageUrl = v.Text(); break;
            case "healthCheckUrl": r.HealthCheckUrl = v.Text(); break;
            case "secureHealthCheckUrl": r.SecureHealthCheckUrl = v.Text(); break;
            case "vipAddress": r.VipAddress = v.Text(); break;
            case "secureVipAddress": r.SecureVipAddress = v.Text(); break;
            case "asgName": r.AsgName = v.Text(); break;
            case "isCoordinatingDiscoveryServer": r.IsCoordinatingDiscoveryServer = v.Text(); break;
            case "lastUpdatedTimestamp": r.LastUpdatedTimestamp = v.Text(); break;
            case "lastDirtyTimestamp": r.LastDirtyTimestamp = v.Text(); break;
            case "actionType": r.ActionType = v.Text(); break;
            default: break;
        }
    }

    /// <summary>Writes every field of an instance in Eureka's order; the writer gives each its codec's shape.</summary>
    public static void Write<TW>(TW w, RegisteredInstance ri)
        where TW : IInstanceWriter
    {
        var i = ri.Info;
        w.Text("instanceId", i.InstanceId);
        w.Text("hostName", i.HostName);
        w.Text("app", i.App);
        if (i.AppGroupName is not null)
        {
            w.Text("appGroupName", i.AppGroupName);
        }
        w.Text("ipAddr", i.IpAddr);
        if (i.Sid is not null and not "na" and not "unknown")
        {
            w.Text("sid", i.Sid);
        }
        w.Text("status", i.Status.ToString());
        w.OverriddenStatus(i.OverriddenStatus.ToString());
        w.Port("port", i.Port, i.PortEnabled);
        w.Port("securePort", i.SecurePort, i.SecurePortEnabled);
        w.Number("countryId", i.CountryId);
        w.StartObject("dataCenterInfo", i.DataCenterClass);
        w.Text("name", i.DataCenterName);
        if (i.DataCenterMetadata.Count > 0)
        {
            w.Map("metadata", i.DataCenterMetadata);
        }
        w.EndObject();
        w.StartObject("leaseInfo", null);
        w.Number("renewalIntervalInSecs", i.RenewalIntervalInSecs);
        w.Number("durationInSecs", i.DurationInSecs);
        w.Number("registrationTimestamp", ri.Lease.RegistrationTimestamp);
        w.Number("lastRenewalTimestamp", ri.Lease.LastRenewalTimestamp);
        w.Number("evictionTimestamp", ri.Lease.EvictionTimestamp);
        w.Number("serviceUpTimestamp", ri.Lease.ServiceUpTimestamp);
        w.EndObject();
        w.Metadata(i.Metadata);
        Optional(w, "homePageUrl", i.HomePageUrl);
        Optional(w, "statusPageUrl", i.StatusPageUrl);
        Optional(w, "healthCheckUrl", i.HealthCheckUrl);
        Optional(w, "secureHealthCheckUrl", i.SecureHealthCheckUrl);
        Optional(w, "vipAddress", i.VipAddress);
        Optional(w, "secureVipAddress", i.SecureVipAddress);
        w.Text("isCoordinatingDiscoveryServer", i.IsCoordinatingDiscoveryServer ? "true" : "false");
        w.NumberText("lastUpdatedTimestamp", i.LastUpdatedTimestamp);
        w.NumberText("lastDirtyTimestamp", i.LastDirtyTimestamp);
        if (i.ActionType is { } action)
        {
            w.Text("actionType", action.ToString());
        }
        Optional(w, "asgName", i.AsgName);
    }

    private static void Optional<TW>(TW w, string name, string? value)
        where TW : IInstanceWriter
    {
        if (value is not null)
        {
            w.Text(name, value);
        }
    }
}

/// <summary>An instance's fields as read, still text: what a reader turns into an <see cref="InstanceInfo"/> by its own rules.</summary>
internal sealed class RawInstance
{
    public string? InstanceId, HostName, App, AppGroupName, IpAddr, Sid, Status, OverriddenStatus;
    public string? Port, PortEnabled, SecurePort, SecurePortEnabled, CountryId;
    public bool HasPort, HasDataCenter;
    public string? DataCenterClass, DataCenterName;
    public Dictionary<string, string>? DataCenterMetadata, Metadata;
    public string? RenewalIntervalInSecs, DurationInSecs;
    public string? HomePageUrl, StatusPageUrl, HealthCheckUrl, SecureHealthCheckUrl, VipAddress, SecureVipAddress, AsgName;
    public string? IsCoordinatingDiscoveryServer, LastUpdatedTimestamp, LastDirtyTimestamp, ActionType;
}

/// <summary>One field's value in a codec's own terms (a JSON element or an XML element), as <see cref="InstanceFields.Read"/> asks for it.</summary>
internal interface IWireValue
{
    /// <summary>Whether the value has children (a JSON object; an XML element always may).</summary>
    bool IsObject { get; }

    /// <summary>The value as text.</summary>
    string? Text();

    /// <summary>The value of a port-like field: JSON's <c>{"$":8080}</c> or a bare value, XML's element text.</summary>
    string? Scalar();

    /// <summary>An attribute: JSON's <c>"@name"</c> member, XML's attribute.</summary>
    string? Attribute(string name);

    /// <summary>A child's text, null when absent.</summary>
    string? Child(string name);

    /// <summary>The value as a string map (JSON members or XML child elements, <c>@class</c> left out).</summary>
    Dictionary<string, string>? Map();

    /// <summary>A child as a string map, null when absent.</summary>
    Dictionary<string, string>? ChildMap(string name);
}

/// <summary>A JSON value of an instance field.</summary>
internal readonly struct JsonWireValue(JsonElement v) : IWireValue
{
    public bool IsObject => v.ValueKind == JsonValueKind.Object;

    public string? Text() => Text(v);

    public string? Scalar() => IsObject ? (v.TryGetProperty("$", out var n) ? Text(n) : null) : Text(v);

    public string? Attribute(string name) =>
        IsObject && v.TryGetProperty(name switch { "enabled" => "@enabled", "class" => "@class", _ => "@" + name }, out var a) ? Text(a) : null;

    public string? Child(string name) => v.TryGetProperty(name, out var c) ? Text(c) : null;

    public Dictionary<string, string>? Map() => Map(v);

    public Dictionary<string, string>? ChildMap(string name) => v.TryGetProperty(name, out var m) ? Map(m) : null;

    /// <summary>Eureka's JSON codec reads numbers and booleans sent as strings and strings sent as numbers alike.</summary>
    public static string? Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => v.GetRawText(),
    };

    private static Dictionary<string, string>? Map(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
        {
            if (p.Name == "@class")
            {
                continue;
            }
            map[p.Name] = Text(p.Value) ?? string.Empty;
        }
        return map;
    }
}

/// <summary>An XML element of an instance field.</summary>
internal readonly struct XmlWireValue(XElement e) : IWireValue
{
    public bool IsObject => true;

    public string? Text() => e.Value;

    public string? Scalar() => e.Value;

    public string? Attribute(string name) => (string?)e.Attribute(name);

    public string? Child(string name) => (string?)e.Element(name);

    public Dictionary<string, string>? Map() => Map(e);

    public Dictionary<string, string>? ChildMap(string name) => e.Element(name) is { } m ? Map(m) : null;

    // Element names are metadata keys as the writer encoded them.
    private static Dictionary<string, string> Map(XElement e) =>
        e.Elements().GroupBy(c => XmlConvert.DecodeName(c.Name.LocalName), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
}

/// <summary>Gives each field of <see cref="InstanceFields.Write"/> its codec's shape.</summary>
internal interface IInstanceWriter
{
    /// <summary>A string field.</summary>
    void Text(string name, string value);

    /// <summary>A number (JSON number, XML element).</summary>
    void Number(string name, long value);

    /// <summary>A number Eureka's Jackson codec writes as a string (the timestamps).</summary>
    void NumberText(string name, long value);

    /// <summary>The overridden status, spelled as the codec spells it.</summary>
    void OverriddenStatus(string value);

    /// <summary>A port with its <c>enabled</c> flag.</summary>
    void Port(string name, int port, bool enabled);

    /// <summary>Opens an object, with Eureka's <c>class</c> marker when given.</summary>
    void StartObject(string name, string? @class);

    /// <summary>Closes the object opened last.</summary>
    void EndObject();

    /// <summary>A string map (the data center's metadata).</summary>
    void Map(string name, IReadOnlyDictionary<string, string> map);

    /// <summary>The instance's metadata, written even when empty.</summary>
    void Metadata(IReadOnlyDictionary<string, string> map);
}

/// <summary>Parses numbers as Eureka's codecs do.</summary>
internal static class WireNumbers
{
    /// <summary>A 64-bit integer in invariant culture, or null.</summary>
    public static long? Long(string? text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}
