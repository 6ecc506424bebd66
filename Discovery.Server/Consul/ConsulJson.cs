using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Infrastructure.Discovery.Server.Consul;

/// <summary>Consul's JSON payloads, field names and order as Consul writes them.</summary>
internal static class ConsulJson
{
    public static string TagsToText(IReadOnlyList<string> tags) => Write(w =>
    {
        w.WriteStartArray();
        foreach (var t in tags)
        {
            w.WriteStringValue(t);
        }
        w.WriteEndArray();
    }) is var bytes ? System.Text.Encoding.UTF8.GetString(bytes) : "";

    /// <summary>Tags kept in Eureka metadata; anything unreadable (a Eureka client's own key of that name) is no tags.</summary>
    public static IReadOnlyList<string> TagsFromText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Array
                ? doc.RootElement.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>A JSON string, or an array of that one string (<c>/v1/status/leader</c>, <c>/v1/status/peers</c>).</summary>
    public static byte[] Strings(string value, bool array) => Write(w =>
    {
        if (array)
        {
            w.WriteStartArray();
        }
        w.WriteStringValue(value);
        if (array)
        {
            w.WriteEndArray();
        }
    });

    public static byte[] CatalogServices(SortedDictionary<string, SortedSet<string>> services) => Write(w =>
    {
        w.WriteStartObject();
        foreach (var (name, tags) in services)
        {
            w.WriteStartArray(name);
            foreach (var t in tags)
            {
                w.WriteStringValue(t);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    });

    public static byte[] CatalogService(IReadOnlyList<ConsulEntry> entries, string dc) => Write(w =>
    {
        w.WriteStartArray();
        foreach (var e in entries)
        {
            w.WriteStartObject();
            w.WriteString("ID", e.NodeId);
            w.WriteString("Node", e.Node);
            w.WriteString("Address", e.Address);
            w.WriteString("Datacenter", dc);
            TaggedAddresses(w, "TaggedAddresses", e.Address);
            w.WriteStartObject("NodeMeta");
            w.WriteEndObject();
            w.WriteString("ServiceKind", "");
            w.WriteString("ServiceID", e.Id);
            w.WriteString("ServiceName", e.Service);
            Strings(w, "ServiceTags", e.Tags);
            w.WriteString("ServiceAddress", e.Address);
            Weights(w, "ServiceWeights");
            Map(w, "ServiceMeta", e.Meta);
            w.WriteNumber("ServicePort", e.Port);
            w.WriteBoolean("ServiceEnableTagOverride", false);
            w.WriteStartObject("ServiceProxy");
            w.WriteEndObject();
            w.WriteStartObject("ServiceConnect");
            w.WriteEndObject();
            w.WriteNumber("CreateIndex", e.Index);
            w.WriteNumber("ModifyIndex", e.Index);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    public static byte[] HealthService(IReadOnlyList<ConsulEntry> entries, string dc) => Write(w =>
    {
        w.WriteStartArray();
        foreach (var e in entries)
        {
            w.WriteStartObject();
            w.WriteStartObject("Node");
            w.WriteString("ID", e.NodeId);
            w.WriteString("Node", e.Node);
            w.WriteString("Address", e.Address);
            w.WriteString("Datacenter", dc);
            TaggedAddresses(w, "TaggedAddresses", e.Address);
            w.WriteStartObject("Meta");
            w.WriteEndObject();
            w.WriteNumber("CreateIndex", e.Index);
            w.WriteNumber("ModifyIndex", e.Index);
            w.WriteEndObject();
            w.WriteStartObject("Service");
            w.WriteString("ID", e.Id);
            w.WriteString("Service", e.Service);
            Strings(w, "Tags", e.Tags);
            w.WriteString("Address", e.Address);
            Map(w, "Meta", e.Meta);
            w.WriteNumber("Port", e.Port);
            Weights(w, "Weights");
            w.WriteBoolean("EnableTagOverride", false);
            w.WriteNumber("CreateIndex", e.Index);
            w.WriteNumber("ModifyIndex", e.Index);
            w.WriteEndObject();
            w.WriteStartArray("Checks");
            foreach (var c in e.Checks)
            {
                Check(w, e, c);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    public static byte[] HealthChecks(IReadOnlyList<ConsulEntry> entries) => Write(w =>
    {
        w.WriteStartArray();
        foreach (var e in entries)
        {
            foreach (var c in e.Checks)
            {
                Check(w, e, c);
            }
        }
        w.WriteEndArray();
    });

    public static byte[] AgentServices(IReadOnlyList<LocalServiceView> services, string dc) => Write(w =>
    {
        w.WriteStartObject();
        foreach (var s in services)
        {
            w.WritePropertyName(s.Definition.Id);
            AgentService(w, s, dc, hash: null);
        }
        w.WriteEndObject();
    });

    /// <summary>One agent service with Consul's <c>ContentHash</c> (a hash of the rest of the payload).</summary>
    public static byte[] AgentService(LocalServiceView service, string dc)
    {
        var withoutHash = Write(w => AgentService(w, service, dc, hash: null));
        var hash = Convert.ToHexStringLower(SHA256.HashData(withoutHash)[..8]);
        return Write(w => AgentService(w, service, dc, hash));
    }

    public static byte[] AgentChecks(IReadOnlyList<LocalServiceView> services) => Write(w =>
    {
        w.WriteStartObject();
        foreach (var s in services)
        {
            foreach (var c in s.Checks)
            {
                w.WritePropertyName(c.CheckId);
                CheckObject(w, s.Host, s.Definition.Id, s.Definition.Name, s.Definition.Tags, c, index: null);
            }
        }
        w.WriteEndObject();
    });

    /// <summary>Minimal <c>/v1/agent/self</c>: what clients read from it (datacenter, node name, server flag, version).</summary>
    public static byte[] AgentSelf(string dc, string node, string address, int port) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("Config");
        w.WriteString("Datacenter", dc);
        w.WriteString("PrimaryDatacenter", dc);
        w.WriteString("NodeName", node);
        w.WriteString("NodeID", ConsulCatalog.NodeId(node));
        w.WriteString("Revision", "");
        w.WriteBoolean("Server", true);
        w.WriteString("Version", "1.20.0");
        w.WriteEndObject();
        w.WriteStartObject("Member");
        w.WriteString("Name", node);
        w.WriteString("Addr", address);
        w.WriteNumber("Port", port);
        w.WriteStartObject("Tags");
        w.WriteString("dc", dc);
        w.WriteString("role", "consul");
        w.WriteEndObject();
        w.WriteNumber("Status", 1);
        w.WriteEndObject();
        w.WriteStartObject("Meta");
        w.WriteEndObject();
        w.WriteEndObject();
    });

    private static void AgentService(Utf8JsonWriter w, LocalServiceView s, string dc, string? hash)
    {
        var d = s.Definition;
        w.WriteStartObject();
        w.WriteString("ID", d.Id);
        w.WriteString("Service", d.Name);
        Strings(w, "Tags", d.Tags);
        Map(w, "Meta", d.Meta);
        w.WriteNumber("Port", d.Port);
        w.WriteString("Address", d.Address ?? "");
        Weights(w, "Weights");
        w.WriteBoolean("EnableTagOverride", false);
        if (hash is not null)
        {
            w.WriteString("ContentHash", hash);
        }
        w.WriteString("Datacenter", dc);
        w.WriteEndObject();
    }

    private static void Check(Utf8JsonWriter w, ConsulEntry e, CheckView c) =>
        CheckObject(w, e.Node, e.Id, e.Service, e.Tags, c, e.Index);

    private static void CheckObject(Utf8JsonWriter w, string node, string serviceId, string serviceName, IReadOnlyList<string> tags, CheckView c, long? index)
    {
        w.WriteStartObject();
        w.WriteString("Node", node);
        w.WriteString("CheckID", c.CheckId);
        w.WriteString("Name", c.Name);
        w.WriteString("Status", c.Status);
        w.WriteString("Notes", c.Notes);
        w.WriteString("Output", c.Output);
        w.WriteString("ServiceID", serviceId);
        w.WriteString("ServiceName", serviceName);
        Strings(w, "ServiceTags", tags);
        w.WriteString("Type", c.Type);
        w.WriteStartObject("Definition");
        w.WriteEndObject();
        w.WriteNumber("CreateIndex", index ?? 0);
        w.WriteNumber("ModifyIndex", index ?? 0);
        w.WriteEndObject();
    }

    private static void TaggedAddresses(Utf8JsonWriter w, string name, string address)
    {
        w.WriteStartObject(name);
        w.WriteString("lan", address);
        w.WriteString("wan", address);
        w.WriteEndObject();
    }

    private static void Weights(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        w.WriteNumber("Passing", 1);
        w.WriteNumber("Warning", 1);
        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }

    private static void Map(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            w.WriteString(k, v);
        }
        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
