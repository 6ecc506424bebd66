using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Infrastructure.Eureka.Protocol;

/// <summary>Writes Eureka's JSON shapes (as Netflix's Jackson codec does): <c>{"applications":{...}}</c>, <c>{"application":{...}}</c>, <c>{"instance":{...}}</c>.</summary>
internal static class EurekaJsonWriter
{
    // What the server has always served: non-ASCII text and HTML-sensitive characters as they are.
    private static readonly JsonWriterOptions ServerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Applications(ApplicationsView apps) => Write(ServerOptions, apps, static (w, apps) =>
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

    public static byte[] Application(ApplicationView app) => Write(ServerOptions, app, static (w, app) =>
    {
        w.WriteStartObject();
        w.WritePropertyName("application");
        WriteApplicationBody(w, app);
        w.WriteEndObject();
    });

    public static byte[] Instance(RegisteredInstance instance) => Write(ServerOptions, instance, static (w, instance) =>
    {
        w.WriteStartObject();
        w.WritePropertyName("instance");
        WriteInstance(w, instance);
        w.WriteEndObject();
    });

    /// <summary>
    /// The body of a client's register call, <c>{"instance":{...}}</c>, as Discovery.Client has always sent it: the
    /// default (escaping) encoder, XStream's <c>overriddenstatus</c> spelling and <c>actionType</c> ADDED.
    /// </summary>
    public static byte[] Registration(InstanceInfo instance) => Write(default, instance, static (w, instance) =>
    {
        w.WriteStartObject();
        w.WritePropertyName("instance");
        w.WriteStartObject();
        InstanceFields.Write(new Fields(w, "overriddenstatus"), new RegisteredInstance(instance with { ActionType = ActionType.ADDED }, default));
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>One instance object (without the <c>instance</c> wrapper) into a document being written.</summary>
    public static void WriteInstance(Utf8JsonWriter w, RegisteredInstance instance)
    {
        w.WriteStartObject();
        InstanceFields.Write(new Fields(w, "overriddenStatus"), instance);
        w.WriteEndObject();
    }

    private static void WriteApplicationBody(Utf8JsonWriter w, ApplicationView app)
    {
        w.WriteStartObject();
        w.WriteString("name", app.Name);
        w.WriteStartArray("instance");
        foreach (var i in app.Instances)
        {
            WriteInstance(w, i);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static byte[] Write<T>(JsonWriterOptions options, T value, Action<Utf8JsonWriter, T> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, options))
        {
            body(w, value);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The JSON shape of each field: ports as <c>{"$":8080,"@enabled":"true"}</c>, classes as <c>"@class"</c>.</summary>
    private readonly struct Fields(Utf8JsonWriter w, string overriddenStatusName) : IInstanceWriter
    {
        public void Text(string name, string value) => w.WriteString(name, value);

        public void Number(string name, long value) => w.WriteNumber(name, value);

        public void NumberText(string name, long value) => w.WriteString(name, value.ToString(CultureInfo.InvariantCulture));

        public void OverriddenStatus(string value) => w.WriteString(overriddenStatusName, value);

        public void Port(string name, int port, bool enabled)
        {
            w.WriteStartObject(name);
            w.WriteNumber("$", port);
            w.WriteString("@enabled", enabled ? "true" : "false");
            w.WriteEndObject();
        }

        public void StartObject(string name, string? @class)
        {
            w.WriteStartObject(name);
            if (@class is not null)
            {
                w.WriteString("@class", @class);
            }
        }

        public void EndObject() => w.WriteEndObject();

        public void Map(string name, IReadOnlyDictionary<string, string> map)
        {
            w.WriteStartObject(name);
            foreach (var (k, v) in map)
            {
                w.WriteString(k, v);
            }
            w.WriteEndObject();
        }

        public void Metadata(IReadOnlyDictionary<string, string> map)
        {
            if (map.Count == 0)
            {
                w.WriteStartObject("metadata");
                w.WriteString("@class", InstanceFields.EmptyMapClass);
                w.WriteEndObject();
            }
            else
            {
                Map("metadata", map);
            }
        }
    }
}
