using System.Globalization;
using System.Text;
using System.Xml;

namespace Infrastructure.Eureka.Protocol;

/// <summary>Writes Eureka's XML shapes (as its XStream converters do): <c>&lt;applications&gt;</c>, <c>&lt;application&gt;</c>, <c>&lt;instance&gt;</c>.</summary>
internal static class EurekaXmlWriter
{
    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(false),
        OmitXmlDeclaration = true,
        Indent = false,
    };

    public static byte[] Applications(ApplicationsView apps) => Write(w =>
    {
        w.WriteStartElement("applications");
        Element(w, "versions__delta", apps.Version.ToString(CultureInfo.InvariantCulture));
        Element(w, "apps__hashcode", apps.AppsHashCode);
        foreach (var app in apps.Applications)
        {
            WriteApplication(w, app);
        }
        w.WriteEndElement();
    });

    public static byte[] Application(ApplicationView app) => Write(w => WriteApplication(w, app));

    public static byte[] Instance(RegisteredInstance instance) => Write(w => WriteInstance(w, instance));

    private static void WriteApplication(XmlWriter w, ApplicationView app)
    {
        w.WriteStartElement("application");
        Element(w, "name", app.Name);
        foreach (var i in app.Instances)
        {
            WriteInstance(w, i);
        }
        w.WriteEndElement();
    }

    private static void WriteInstance(XmlWriter w, RegisteredInstance ri)
    {
        w.WriteStartElement("instance");
        InstanceFields.Write(new Fields(w), ri);
        w.WriteEndElement();
    }

    private static void WriteMap(XmlWriter w, string name, IReadOnlyDictionary<string, string> map)
    {
        w.WriteStartElement(name);
        foreach (var (k, v) in map)
        {
            // XML has no element with an empty name; such a key (JSON allows it) is served in JSON only.
            if (k.Length == 0)
            {
                continue;
            }
            // Metadata keys become element names; a key that is not a valid XML name is encoded, not dropped.
            Element(w, XmlConvert.EncodeLocalName(XmlSafe(k)), v);
        }
        w.WriteEndElement();
    }

    private static void Number(XmlWriter w, string name, long value) =>
        w.WriteElementString(name, value.ToString(CultureInfo.InvariantCulture));

    private static void Element(XmlWriter w, string name, string value) => w.WriteElementString(name, XmlSafe(value));

    /// <summary>
    /// <paramref name="value"/> with every character XML 1.0 cannot carry (C0 controls other than tab, CR and LF,
    /// U+FFFE/U+FFFF, unpaired surrogates) replaced by U+FFFD; the same instance when there is none.
    /// </summary>
    /// <remarks>
    /// Eureka accepts such characters (an escaped <c>\u0001</c> is valid JSON), so they are stored and served exactly in
    /// JSON. XML cannot carry them at all, not even as character references, and writing one throws: replacing them
    /// here keeps one registration from breaking the XML view (and the cache refresh built on it) for every client.
    /// </remarks>
    internal static string XmlSafe(string value)
    {
        var i = FirstInvalid(value);
        if (i < 0)
        {
            return value;
        }
        var chars = value.ToCharArray();
        for (; i < chars.Length; i++)
        {
            if (XmlConvert.IsXmlChar(chars[i]))
            {
                continue;
            }
            if (i + 1 < chars.Length && XmlConvert.IsXmlSurrogatePair(chars[i + 1], chars[i]))
            {
                i++;
                continue;
            }
            chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    private static int FirstInvalid(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (XmlConvert.IsXmlChar(value[i]))
            {
                continue;
            }
            if (i + 1 < value.Length && XmlConvert.IsXmlSurrogatePair(value[i + 1], value[i]))
            {
                i++;
                continue;
            }
            return i;
        }
        return -1;
    }

    private static byte[] Write(Action<XmlWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = XmlWriter.Create(ms, Settings))
        {
            body(w);
        }
        return ms.ToArray();
    }

    /// <summary>The XML shape of each field: ports as <c>&lt;port enabled="true"&gt;</c>, classes as attributes, text made XML-safe.</summary>
    private readonly struct Fields(XmlWriter w) : IInstanceWriter
    {
        public void Text(string name, string value) => Element(w, name, value);

        public void Number(string name, long value) => EurekaXmlWriter.Number(w, name, value);

        public void NumberText(string name, long value) => EurekaXmlWriter.Number(w, name, value);

        public void OverriddenStatus(string value) => Element(w, "overriddenstatus", value);

        public void Port(string name, int port, bool enabled)
        {
            w.WriteStartElement(name);
            w.WriteAttributeString("enabled", enabled ? "true" : "false");
            w.WriteString(port.ToString(CultureInfo.InvariantCulture));
            w.WriteEndElement();
        }

        public void StartObject(string name, string? @class)
        {
            w.WriteStartElement(name);
            if (@class is not null)
            {
                w.WriteAttributeString("class", XmlSafe(@class));
            }
        }

        public void EndObject() => w.WriteEndElement();

        public void Map(string name, IReadOnlyDictionary<string, string> map) => WriteMap(w, name, map);

        public void Metadata(IReadOnlyDictionary<string, string> map) => WriteMap(w, "metadata", map);
    }
}
