using System.Globalization;
using System.Text;
using System.Xml;
using Infrastructure.Discovery.Server.Registry;

namespace Infrastructure.Discovery.Server.Api;

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
        var i = ri.Info;
        w.WriteStartElement("instance");
        Element(w, "instanceId", i.InstanceId);
        Element(w, "hostName", i.HostName);
        Element(w, "app", i.App);
        if (i.AppGroupName is not null)
        {
            Element(w, "appGroupName", i.AppGroupName);
        }
        Element(w, "ipAddr", i.IpAddr);
        if (i.Sid is not null and not "na" and not "unknown")
        {
            Element(w, "sid", i.Sid);
        }
        Element(w, "status", i.Status.ToString());
        Element(w, "overriddenstatus", i.OverriddenStatus.ToString());
        WritePort(w, "port", i.Port, i.PortEnabled);
        WritePort(w, "securePort", i.SecurePort, i.SecurePortEnabled);
        Element(w, "countryId", i.CountryId.ToString(CultureInfo.InvariantCulture));
        w.WriteStartElement("dataCenterInfo");
        w.WriteAttributeString("class", XmlSafe(i.DataCenterClass));
        Element(w, "name", i.DataCenterName);
        if (i.DataCenterMetadata.Count > 0)
        {
            WriteMap(w, i.DataCenterMetadata);
        }
        w.WriteEndElement();
        w.WriteStartElement("leaseInfo");
        Number(w, "renewalIntervalInSecs", i.RenewalIntervalInSecs);
        Number(w, "durationInSecs", i.DurationInSecs);
        Number(w, "registrationTimestamp", ri.Lease.RegistrationTimestamp);
        Number(w, "lastRenewalTimestamp", ri.Lease.LastRenewalTimestamp);
        Number(w, "evictionTimestamp", ri.Lease.EvictionTimestamp);
        Number(w, "serviceUpTimestamp", ri.Lease.ServiceUpTimestamp);
        w.WriteEndElement();
        WriteMap(w, i.Metadata);
        Optional(w, "homePageUrl", i.HomePageUrl);
        Optional(w, "statusPageUrl", i.StatusPageUrl);
        Optional(w, "healthCheckUrl", i.HealthCheckUrl);
        Optional(w, "secureHealthCheckUrl", i.SecureHealthCheckUrl);
        Optional(w, "vipAddress", i.VipAddress);
        Optional(w, "secureVipAddress", i.SecureVipAddress);
        Element(w, "isCoordinatingDiscoveryServer", i.IsCoordinatingDiscoveryServer ? "true" : "false");
        Number(w, "lastUpdatedTimestamp", i.LastUpdatedTimestamp);
        Number(w, "lastDirtyTimestamp", i.LastDirtyTimestamp);
        if (i.ActionType is { } action)
        {
            Element(w, "actionType", action.ToString());
        }
        Optional(w, "asgName", i.AsgName);
        w.WriteEndElement();
    }

    private static void WritePort(XmlWriter w, string name, int port, bool enabled)
    {
        w.WriteStartElement(name);
        w.WriteAttributeString("enabled", enabled ? "true" : "false");
        w.WriteString(port.ToString(CultureInfo.InvariantCulture));
        w.WriteEndElement();
    }

    private static void WriteMap(XmlWriter w, IReadOnlyDictionary<string, string> map)
    {
        w.WriteStartElement("metadata");
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

    private static void Optional(XmlWriter w, string name, string? value)
    {
        if (value is not null)
        {
            Element(w, name, value);
        }
    }

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
}
