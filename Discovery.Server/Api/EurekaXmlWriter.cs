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
        w.WriteElementString("versions__delta", apps.Version.ToString(CultureInfo.InvariantCulture));
        w.WriteElementString("apps__hashcode", apps.AppsHashCode);
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
        w.WriteElementString("name", app.Name);
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
        w.WriteElementString("instanceId", i.InstanceId);
        w.WriteElementString("hostName", i.HostName);
        w.WriteElementString("app", i.App);
        if (i.AppGroupName is not null)
        {
            w.WriteElementString("appGroupName", i.AppGroupName);
        }
        w.WriteElementString("ipAddr", i.IpAddr);
        if (i.Sid is not null and not "na" and not "unknown")
        {
            w.WriteElementString("sid", i.Sid);
        }
        w.WriteElementString("status", i.Status.ToString());
        w.WriteElementString("overriddenstatus", i.OverriddenStatus.ToString());
        WritePort(w, "port", i.Port, i.PortEnabled);
        WritePort(w, "securePort", i.SecurePort, i.SecurePortEnabled);
        w.WriteElementString("countryId", i.CountryId.ToString(CultureInfo.InvariantCulture));
        w.WriteStartElement("dataCenterInfo");
        w.WriteAttributeString("class", i.DataCenterClass);
        w.WriteElementString("name", i.DataCenterName);
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
        w.WriteElementString("isCoordinatingDiscoveryServer", i.IsCoordinatingDiscoveryServer ? "true" : "false");
        Number(w, "lastUpdatedTimestamp", i.LastUpdatedTimestamp);
        Number(w, "lastDirtyTimestamp", i.LastDirtyTimestamp);
        if (i.ActionType is { } action)
        {
            w.WriteElementString("actionType", action.ToString());
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
            // Metadata keys become element names; a key that is not a valid XML name is encoded, not dropped.
            w.WriteElementString(XmlConvert.EncodeLocalName(k), v);
        }
        w.WriteEndElement();
    }

    private static void Number(XmlWriter w, string name, long value) =>
        w.WriteElementString(name, value.ToString(CultureInfo.InvariantCulture));

    private static void Optional(XmlWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteElementString(name, value);
        }
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
