using System.Globalization;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
namespace Infrastructure.Eureka.Protocol;

/// <summary>Reads a registration body (<c>{"instance":{...}}</c> or <c>&lt;instance&gt;</c>) tolerantly, as Eureka's codecs do, and validates it as Eureka's server does (the fields themselves are read by <see cref="InstanceFields"/>).</summary>
internal static class InstanceReader
{
    /// <summary>Deepest element nesting read from an XML body; a registration needs 4.</summary>
    public const int MaxXmlDepth = 32;
    private const int DefaultPort = 7001;
    private const int DefaultSecurePort = 7002;
    // Longer names and addresses are accepted (Eureka has no limit) but worth a warning.
    private const int LongFieldLength = 4096;

    /// <summary>Parses and validates; on failure returns null and a message suitable for a 400 body. What was accepted but looks wrong goes to <paramref name="warnings"/>.</summary>
    public static InstanceInfo? TryRead(ReadOnlySpan<byte> body, string? contentType, long now, out string? error, ICollection<string>? warnings = null)
    {
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            body = body[3..];
        }
        var raw = IsXml(body, contentType) ? ReadXml(body, out error) : ReadJson(body, out error);
        return raw is null ? null : Validate(raw, now, out error, warnings);
    }

    /// <summary>Reads one instance element of a JSON document (used when syncing from a peer's <c>/apps</c>).</summary>
    public static InstanceInfo? FromJsonElement(JsonElement instance, long now, out string? error)
    {
        if (!IsDecodable(instance))
        {
            error = UndecodableText;
            return null;
        }
        var raw = FromJson(instance, out error);
        return raw is null ? null : Validate(raw, now, out error, null);
    }

    /// <summary>The 400 message for JSON whose strings are not Unicode text.</summary>
    public const string UndecodableText = "Malformed JSON: a string or name is not valid UTF-8 or has an unpaired surrogate escape (\\uD800)";

    /// <summary>
    /// Whether every string and property name in <paramref name="e"/> decodes to valid UTF-16. The parser accepts
    /// invalid UTF-8 inside strings and escaped unpaired surrogates, and only fails when a string is read; checking up
    /// front turns that into a 400 before anything is applied instead of a 500 halfway through.
    /// </summary>
    public static bool IsDecodable(JsonElement e)
    {
        try
        {
            Decode(e);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // Recursion is bounded by the reader's MaxDepth.
    private static void Decode(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    _ = p.Name;
                    Decode(p.Value);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    Decode(item);
                }
                break;
            case JsonValueKind.String:
                _ = e.GetString();
                break;
            default:
                break;
        }
    }

    private static bool IsXml(ReadOnlySpan<byte> body, string? contentType)
    {
        if (contentType is not null)
        {
            if (contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
            if (contentType.Contains("xml", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        foreach (var b in body)
        {
            if (!char.IsWhiteSpace((char)b) && b != 0xEF && b != 0xBB && b != 0xBF)
            {
                return b == (byte)'<';
            }
        }
        return false;
    }

    private static RawInstance? ReadJson(ReadOnlySpan<byte> body, out string? error)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16, CommentHandling = JsonCommentHandling.Skip });
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (!IsDecodable(root))
            {
                error = UndecodableText;
                return null;
            }
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "Malformed registration: expected a JSON object {\"instance\":{...}}";
                return null;
            }
            // Eureka's codec expects the "instance" wrapper; a bare instance object is accepted as well.
            var instance = root.TryGetProperty("instance", out var wrapped) ? wrapped : root;
            if (instance.ValueKind != JsonValueKind.Object)
            {
                error = "Malformed registration: \"instance\" must be an object";
                return null;
            }
            return FromJson(instance, out error);
        }
        catch (JsonException ex)
        {
            error = "Malformed JSON: " + ex.Message;
            return null;
        }
    }

    private static RawInstance? FromJson(JsonElement e, out string? error)
    {
        error = null;
        var r = new RawInstance();
        foreach (var p in e.EnumerateObject())
        {
            InstanceFields.Read(r, p.Name, new JsonWireValue(p.Value));
        }
        return r;
    }

    private static RawInstance? ReadXml(ReadOnlySpan<byte> body, out string? error)
    {
        error = null;
        XElement root;
        var bytes = body.ToArray();
        try
        {
            // A first pass bounds the nesting before a tree is built: deep documents cost memory and stack later on.
            using (var scan = CreateXmlReader(bytes))
            {
                while (scan.Read())
                {
                    if (scan.Depth > MaxXmlDepth)
                    {
                        error = $"Malformed XML: nested deeper than {MaxXmlDepth} elements";
                        return null;
                    }
                }
            }
            using var reader = CreateXmlReader(bytes);
            root = XElement.Load(reader);
        }
        catch (XmlException ex)
        {
            error = "Malformed XML: " + ex.Message;
            return null;
        }
        if (root.Name.LocalName != "instance")
        {
            error = $"Malformed registration: expected root element <instance>, got <{root.Name.LocalName}>";
            return null;
        }
        var r = new RawInstance();
        foreach (var e in root.Elements())
        {
            InstanceFields.Read(r, e.Name.LocalName, new XmlWireValue(e));
        }
        return r;
    }

    // No DTD at all (so no entity expansion, external or internal: XXE and "billion laughs" fail at the DOCTYPE), no resolver.
    private static XmlReader CreateXmlReader(byte[] body) => XmlReader.Create(new MemoryStream(body), new XmlReaderSettings
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 0,
        CloseInput = true,
    });

    /// <summary>
    /// Eureka's rules: a value that both of its codecs (JSON and XML) accept is accepted with the meaning Eureka gives
    /// it, and anything odd about it only becomes a warning; a value that one of them cannot read is refused.
    /// </summary>
    private static InstanceInfo? Validate(RawInstance r, long now, out string? error, ICollection<string>? warnings)
    {
        error = null;
        // Eureka answers 400 for these in its resource: without them the instance cannot be named or reached.
        if (string.IsNullOrWhiteSpace(r.App))
        {
            error = "Missing appName";
            return null;
        }
        if (string.IsNullOrWhiteSpace(r.HostName))
        {
            error = "Missing hostName";
            return null;
        }
        if (string.IsNullOrWhiteSpace(r.IpAddr))
        {
            error = "Missing ipAddr";
            return null;
        }
        if (r.App.Trim().Equals("delta", StringComparison.OrdinalIgnoreCase))
        {
            // /apps/delta is the delta resource, so Eureka can never serve an application of that name.
            error = "'delta' is reserved and cannot be an application name";
            return null;
        }
        foreach (var (name, value) in (ReadOnlySpan<(string, string?)>)[("app", r.App), ("hostName", r.HostName), ("ipAddr", r.IpAddr), ("instanceId", r.InstanceId), ("vipAddress", r.VipAddress)])
        {
            if (value is { Length: > LongFieldLength })
            {
                warnings?.Add($"{name} is {value.Length} characters long");
            }
        }
        var port = DefaultPort;
        if (!r.HasPort || string.IsNullOrWhiteSpace(r.Port))
        {
            warnings?.Add($"no port given; Eureka's default {DefaultPort} applies");
        }
        else if (!TryPort(r.Port, "port", out port, ref error, warnings))
        {
            return null;
        }
        var securePort = DefaultSecurePort;
        if (!string.IsNullOrWhiteSpace(r.SecurePort) && !TryPort(r.SecurePort, "securePort", out securePort, ref error, warnings))
        {
            return null;
        }
        var portEnabled = Flag(r.PortEnabled, true, "port.@enabled", warnings);
        var securePortEnabled = Flag(r.SecurePortEnabled, false, "securePort.@enabled", warnings);
        if (!TryLease(r.RenewalIntervalInSecs, "renewalIntervalInSecs", InstanceInfo.DefaultRenewalIntervalInSecs, out var renewal, ref error)
            || !TryLease(r.DurationInSecs, "durationInSecs", InstanceInfo.DefaultDurationInSecs, out var duration, ref error))
        {
            return null;
        }
        if (duration < renewal)
        {
            // Eureka registers it and evicts it when the lease runs out between two renewals; so do we.
            warnings?.Add($"leaseInfo.durationInSecs ({duration}) is shorter than leaseInfo.renewalIntervalInSecs ({renewal}): the lease will expire between renewals");
        }
        var countryId = 1;
        if (!string.IsNullOrWhiteSpace(r.CountryId) && !int.TryParse(r.CountryId.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out countryId))
        {
            error = $"countryId must be an integer, got '{r.CountryId}'";
            return null;
        }
        long dirty = now;
        if (!string.IsNullOrWhiteSpace(r.LastDirtyTimestamp)
            && !long.TryParse(r.LastDirtyTimestamp.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out dirty))
        {
            // Both Eureka codecs accept it (JSON reads 0, XML keeps the registration time): "not set".
            warnings?.Add($"lastDirtyTimestamp '{r.LastDirtyTimestamp}' is not a number; the registration time applies");
            dirty = now;
        }
        if (dirty == 0)
        {
            dirty = now;
        }
        var hostName = r.HostName.Trim();
        return new InstanceInfo
        {
            InstanceId = string.IsNullOrWhiteSpace(r.InstanceId) ? hostName : r.InstanceId.Trim(),
            App = r.App.Trim().ToUpperInvariant(),
            AppGroupName = NullIfBlank(r.AppGroupName)?.ToUpperInvariant(),
            HostName = hostName,
            IpAddr = r.IpAddr.Trim(),
            Sid = NullIfBlank(r.Sid),
            Status = r.Status is null ? InstanceStatus.UP : InstanceStatusParser.ParseOrUnknown(r.Status),
            OverriddenStatus = InstanceStatusParser.ParseOrUnknown(r.OverriddenStatus),
            Port = port,
            PortEnabled = portEnabled,
            SecurePort = securePort,
            SecurePortEnabled = securePortEnabled,
            CountryId = countryId,
            DataCenterClass = NullIfBlank(r.DataCenterClass) ?? InstanceInfo.DefaultDataCenterClass,
            DataCenterName = NullIfBlank(r.DataCenterName) ?? "MyOwn",
            DataCenterMetadata = r.DataCenterMetadata ?? InstanceInfo.EmptyMap,
            RenewalIntervalInSecs = renewal,
            DurationInSecs = duration,
            Metadata = r.Metadata ?? InstanceInfo.EmptyMap,
            HomePageUrl = NullIfBlank(r.HomePageUrl),
            StatusPageUrl = NullIfBlank(r.StatusPageUrl),
            HealthCheckUrl = NullIfBlank(r.HealthCheckUrl),
            SecureHealthCheckUrl = NullIfBlank(r.SecureHealthCheckUrl),
            VipAddress = NullIfBlank(r.VipAddress),
            SecureVipAddress = NullIfBlank(r.SecureVipAddress),
            AsgName = NullIfBlank(r.AsgName),
            IsCoordinatingDiscoveryServer = string.Equals(r.IsCoordinatingDiscoveryServer, "true", StringComparison.OrdinalIgnoreCase),
            LastDirtyTimestamp = dirty,
        };
    }

    /// <summary>Any 32-bit integer, as Eureka stores it; one outside 0–65535 is only warned about. Not a number: refused (Eureka's XML codec fails on it).</summary>
    private static bool TryPort(string text, string name, out int port, ref string? error, ICollection<string>? warnings)
    {
        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out port))
        {
            error = $"{name} must be an integer, got '{text}'";
            return false;
        }
        if (port is < 0 or > 65535)
        {
            warnings?.Add($"{name} {port} is outside 0-65535");
        }
        return true;
    }

    /// <summary>true/false in any case; anything else is the port's default, as Eureka's XML codec reads it.</summary>
    private static bool Flag(string? text, bool fallback, string name, ICollection<string>? warnings)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        if (bool.TryParse(text.Trim(), out var value))
        {
            return value;
        }
        warnings?.Add($"{name} '{text}' is neither true nor false; {(fallback ? "true" : "false")} applies");
        return fallback;
    }

    /// <summary>Eureka's <c>LeaseInfo</c>: a 32-bit integer (its JSON codec refuses anything else), and 0 or less means the default.</summary>
    private static bool TryLease(string? text, string name, int fallback, out int value, ref string? error)
    {
        value = fallback;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            error = $"leaseInfo.{name} must be a 32-bit integer, got '{text}'";
            return false;
        }
        value = parsed <= 0 ? fallback : parsed;
        return true;
    }

    private static string? NullIfBlank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
