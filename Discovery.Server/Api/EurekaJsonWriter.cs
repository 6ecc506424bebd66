using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Infrastructure.Discovery.Server.Registry;

namespace Infrastructure.Discovery.Server.Api;

/// <summary>Writes Eureka's JSON shapes (as Netflix's Jackson codec does): <c>{"applications":{...}}</c>, <c>{"application":{...}}</c>, <c>{"instance":{...}}</c>.</summary>
internal static class EurekaJsonWriter
{
    private const string EmptyMapClass = "java.util.Collections$EmptyMap";

    public static byte[] Applications(ApplicationsView apps) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("applications");
        w.WriteString("versions__delta", apps.Version.ToString(CultureInfo.InvariantCulture));
        w.WriteString("apps__hashcode", apps.AppsHashCode);
        w.WriteStartArray("application");
        foreach (var app in apps.Applications)
        {
            WriteApplicationBody(w, app);
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    });

    public static byte[] Application(ApplicationView app) => Write(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("application");
        WriteApplicationBody(w, app);
        w.WriteEndObject();
    });

    public static byte[] Instance(RegisteredInstance instance) => Write(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("instance");
        WriteInstanceBody(w, instance);
        w.WriteEndObject();
    });

    private static void WriteApplicationBody(Utf8JsonWriter w, ApplicationView app)
    {
        w.WriteStartObject();
        w.WriteString("name", app.Name);
        w.WriteStartArray("instance");
        foreach (var i in app.Instances)
        {
            WriteInstanceBody(w, i);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteInstanceBody(Utf8JsonWriter w, RegisteredInstance ri)
    {
        var i = ri.Info;
        w.WriteStartObject();
        w.WriteString("instanceId", i.InstanceId);
        w.WriteString("hostName", i.HostName);
        w.WriteString("app", i.App);
        if (i.AppGroupName is not null)
        {
            w.WriteString("appGroupName", i.AppGroupName);
        }
        w.WriteString("ipAddr", i.IpAddr);
        if (i.Sid is not null and not "na" and not "unknown")
        {
            w.WriteString("sid", i.Sid);
        }
        w.WriteString("status", i.Status.ToString());
        w.WriteString("overriddenStatus", i.OverriddenStatus.ToString());
        WritePort(w, "port", i.Port, i.PortEnabled);
        WritePort(w, "securePort", i.SecurePort, i.SecurePortEnabled);
        w.WriteNumber("countryId", i.CountryId);
        w.WriteStartObject("dataCenterInfo");
        w.WriteString("@class", i.DataCenterClass);
        w.WriteString("name", i.DataCenterName);
        if (i.DataCenterMetadata.Count > 0)
        {
            WriteMap(w, "metadata", i.DataCenterMetadata);
        }
        w.WriteEndObject();
        w.WriteStartObject("leaseInfo");
        w.WriteNumber("renewalIntervalInSecs", i.RenewalIntervalInSecs);
        w.WriteNumber("durationInSecs", i.DurationInSecs);
        w.WriteNumber("registrationTimestamp", ri.Lease.RegistrationTimestamp);
        w.WriteNumber("lastRenewalTimestamp", ri.Lease.LastRenewalTimestamp);
        w.WriteNumber("evictionTimestamp", ri.Lease.EvictionTimestamp);
        w.WriteNumber("serviceUpTimestamp", ri.Lease.ServiceUpTimestamp);
        w.WriteEndObject();
        if (i.Metadata.Count == 0)
        {
            // Eureka marks an empty map this way for old XStream-era clients; its readers skip the key.
            w.WriteStartObject("metadata");
            w.WriteString("@class", EmptyMapClass);
            w.WriteEndObject();
        }
        else
        {
            WriteMap(w, "metadata", i.Metadata);
        }
        WriteOptional(w, "homePageUrl", i.HomePageUrl);
        WriteOptional(w, "statusPageUrl", i.StatusPageUrl);
        WriteOptional(w, "healthCheckUrl", i.HealthCheckUrl);
        WriteOptional(w, "secureHealthCheckUrl", i.SecureHealthCheckUrl);
        WriteOptional(w, "vipAddress", i.VipAddress);
        WriteOptional(w, "secureVipAddress", i.SecureVipAddress);
        w.WriteString("isCoordinatingDiscoveryServer", i.IsCoordinatingDiscoveryServer ? "true" : "false");
        w.WriteString("lastUpdatedTimestamp", i.LastUpdatedTimestamp.ToString(CultureInfo.InvariantCulture));
        w.WriteString("lastDirtyTimestamp", i.LastDirtyTimestamp.ToString(CultureInfo.InvariantCulture));
        if (i.ActionType is { } action)
        {
            w.WriteString("actionType", action.ToString());
        }
        WriteOptional(w, "asgName", i.AsgName);
        w.WriteEndObject();
    }

    private static void WritePort(Utf8JsonWriter w, string name, int port, bool enabled)
    {
        w.WriteStartObject(name);
        w.WriteNumber("$", port);
        w.WriteString("@enabled", enabled ? "true" : "false");
        w.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map)
        {
            w.WriteString(k, v);
        }
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            body(w);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
