using System.Globalization;
using System.Net;
using System.Text.Json;
using Infrastructure.ServiceDefaults.Configuration;

namespace Infrastructure.Discovery.Server.Consul;

/// <summary>The kinds of Consul check this server runs.</summary>
internal enum CheckKind
{
    Ttl,
    Http,
    Tcp,
}

/// <summary>A check as registered with a service (Consul's <c>CheckType</c>), validated.</summary>
internal sealed record CheckDefinition
{
    public string? CheckId { get; init; }
    public string? Name { get; init; }
    public CheckKind Kind { get; init; }
    public TimeSpan Ttl { get; init; }
    public TimeSpan Interval { get; init; }
    public TimeSpan Timeout { get; init; }
    public string? Http { get; init; }
    public string Method { get; init; } = "GET";
    public IReadOnlyDictionary<string, string[]> Header { get; init; } = new Dictionary<string, string[]>();
    public string? Body { get; init; }
    public string? Tcp { get; init; }
    public bool TlsSkipVerify { get; init; }
    public TimeSpan? DeregisterCriticalServiceAfter { get; init; }
    public string? Status { get; init; }
    public string? Notes { get; init; }
}

/// <summary>A service registration (<c>PUT /v1/agent/service/register</c>), validated as Consul validates it.</summary>
internal sealed record ServiceDefinition
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Address { get; init; }
    public int Port { get; init; }
    public IReadOnlyDictionary<string, string> Meta { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<CheckDefinition> Checks { get; init; } = [];

    /// <summary>Consul's minimum for a check interval and for DeregisterCriticalServiceAfter.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MinDeregisterAfter = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan DefaultCheckTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Reads the JSON body; on failure <paramref name="error"/> is the text Consul answers with 400.</summary>
    public static ServiceDefinition? TryRead(ReadOnlySpan<byte> body, out string? error)
    {
        error = null;
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16 });
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            error = "Request decode failed: " + ex.Message;
            return null;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "Request decode failed: expected a JSON object";
                return null;
            }
            try
            {
                return Read(root, out error);
            }
            catch (FormatException ex)
            {
                error = "Request decode failed: " + ex.Message;
                return null;
            }
        }
    }

    private static ServiceDefinition? Read(JsonElement root, out string? error)
    {
        error = null;
        var name = String(Get(root, "Name"), "Name");
        if (string.IsNullOrEmpty(name))
        {
            error = "Missing service name";
            return null;
        }
        if (name.Equals("delta", StringComparison.OrdinalIgnoreCase))
        {
            // Eureka serves /apps/delta as the delta, so an application of that name could never be read back there.
            error = "Invalid service name: 'delta' is reserved by the Eureka API this registry also serves";
            return null;
        }
        var address = String(Get(root, "Address"), "Address");
        if (address is { Length: > 0 } && IPAddress.TryParse(address, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
        {
            error = "Invalid service address";
            return null;
        }
        var port = Get(root, "Port") is { } p ? Int(p, "Port") : 0;
        if (port is < 0 or > 65535)
        {
            error = "Invalid service port: must be 0 to 65535";
            return null;
        }
        var meta = StringMap(Get(root, "Meta"), "Meta");
        if (ValidateMeta(meta) is { } metaError)
        {
            error = "Invalid Service Meta: " + metaError;
            return null;
        }
        var checkElements = new List<JsonElement>();
        if (Get(root, "Check") is { ValueKind: JsonValueKind.Object } single && !IsEmptyCheck(single))
        {
            checkElements.Add(single);
        }
        if (Get(root, "Checks") is { ValueKind: JsonValueKind.Array } many)
        {
            checkElements.AddRange(many.EnumerateArray());
        }
        var checks = new List<CheckDefinition>();
        foreach (var c in checkElements)
        {
            var check = ReadCheck(c, out var checkError);
            if (check is null)
            {
                error = checkError;
                return null;
            }
            checks.Add(check);
        }
        var id = String(Get(root, "ID"), "ID");
        return new ServiceDefinition
        {
            Id = string.IsNullOrEmpty(id) ? name : id,
            Name = name,
            Tags = StringList(Get(root, "Tags"), "Tags"),
            Address = string.IsNullOrEmpty(address) ? null : address,
            Port = port,
            Meta = meta,
            Checks = checks,
        };
    }

    private static CheckDefinition? ReadCheck(JsonElement c, out string? error)
    {
        error = null;
        if (c.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a check must be an object");
        }
        foreach (var unsupported in (string[])["Script", "Args", "DockerContainerID", "GRPC", "H2PING", "UDP", "AliasNode", "AliasService", "OSService"])
        {
            if (Get(c, unsupported) is { } v && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) && !(v.ValueKind == JsonValueKind.String && v.GetString() is ""))
            {
                error = $"Invalid check: {unsupported} checks are not supported by this server (TTL, HTTP and TCP checks are)";
                return null;
            }
        }
        var ttl = Duration(Get(c, "TTL"), "TTL");
        var interval = Duration(Get(c, "Interval"), "Interval");
        var http = String(Get(c, "HTTP"), "HTTP");
        var tcp = String(Get(c, "TCP"), "TCP");
        var intervalCheck = !string.IsNullOrEmpty(http) || !string.IsNullOrEmpty(tcp);
        if (interval > TimeSpan.Zero && ttl > TimeSpan.Zero)
        {
            error = "Invalid check: Interval and TTL cannot both be specified";
            return null;
        }
        if (intervalCheck && interval <= TimeSpan.Zero)
        {
            error = "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP or UDP checks";
            return null;
        }
        if (!intervalCheck && ttl <= TimeSpan.Zero)
        {
            error = "Invalid check: TTL must be > 0 for TTL checks";
            return null;
        }
        if (!string.IsNullOrEmpty(http) && (!Uri.TryCreate(http, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
        {
            error = $"Invalid check: HTTP must be an absolute http(s) URL, got '{http}'";
            return null;
        }
        var status = String(Get(c, "Status"), "Status");
        if (!string.IsNullOrEmpty(status) && status is not (CheckStatus.Passing or CheckStatus.Warning or CheckStatus.Critical))
        {
            error = "Status for checks must 'passing', 'warning', 'critical'";
            return null;
        }
        var timeout = Duration(Get(c, "Timeout"), "Timeout");
        var deregister = Duration(Get(c, "DeregisterCriticalServiceAfter"), "DeregisterCriticalServiceAfter");
        var method = String(Get(c, "Method"), "Method");
        return new CheckDefinition
        {
            CheckId = NullIfEmpty(String(Get(c, "CheckID") ?? Get(c, "ID"), "CheckID")),
            Name = NullIfEmpty(String(Get(c, "Name"), "Name")),
            Kind = !string.IsNullOrEmpty(http) ? CheckKind.Http : !string.IsNullOrEmpty(tcp) ? CheckKind.Tcp : CheckKind.Ttl,
            Ttl = ttl,
            // Consul raises anything shorter to its minimum rather than refusing it.
            Interval = intervalCheck && interval < MinInterval ? MinInterval : interval,
            Timeout = timeout > TimeSpan.Zero ? timeout : DefaultCheckTimeout,
            Http = NullIfEmpty(http),
            Method = string.IsNullOrEmpty(method) ? "GET" : method.ToUpperInvariant(),
            Header = HeaderMap(Get(c, "Header")),
            Body = NullIfEmpty(String(Get(c, "Body"), "Body")),
            Tcp = NullIfEmpty(tcp),
            TlsSkipVerify = Get(c, "TLSSkipVerify") is { ValueKind: JsonValueKind.True },
            DeregisterCriticalServiceAfter = deregister > TimeSpan.Zero ? (deregister < MinDeregisterAfter ? MinDeregisterAfter : deregister) : null,
            Status = NullIfEmpty(status),
            Notes = NullIfEmpty(String(Get(c, "Notes"), "Notes")),
        };
    }

    /// <summary>Consul's rules for service metadata (<c>structs.ValidateServiceMetadata</c>).</summary>
    private static string? ValidateMeta(IReadOnlyDictionary<string, string> meta)
    {
        if (meta.Count > 64)
        {
            return "Service metadata cannot contain more than 64 key/value pairs";
        }
        foreach (var (key, value) in meta)
        {
            string? problem = null;
            if (key.Length == 0)
            {
                problem = "Key cannot be blank";
            }
            else if (!key.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-'))
            {
                problem = "Key contains invalid characters";
            }
            else if (key.Length > 128)
            {
                problem = "Key is too long (limit: 128 characters)";
            }
            else if (key.StartsWith("consul-", StringComparison.Ordinal))
            {
                problem = "Key prefix 'consul-' is reserved for internal use";
            }
            else if (value.Length > 512)
            {
                problem = "Value is too long (limit: 512 characters)";
            }
            if (problem is not null)
            {
                return $"Couldn't load metadata pair ('{key}', '{value}'): {problem}";
            }
        }
        return null;
    }

    private static bool IsEmptyCheck(JsonElement c) => !c.EnumerateObject().Any(p => p.Value.ValueKind is not JsonValueKind.Null);

    /// <summary>Consul decodes field names case-insensitively and also takes snake_case (<c>deregister_critical_service_after</c>).</summary>
    private static JsonElement? Get(JsonElement obj, string name)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (Normalise(p.Name).Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }
        return null;
    }

    private static string Normalise(string key) => key.Contains('_', StringComparison.Ordinal) ? key.Replace("_", "", StringComparison.Ordinal) : key;

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static string? String(JsonElement? e, string field) => e switch
    {
        null => null,
        { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        _ => throw new FormatException($"{field} must be a string"),
    };

    private static int Int(JsonElement e, string field) => e.ValueKind switch
    {
        JsonValueKind.Null => 0,
        JsonValueKind.Number when e.TryGetInt32(out var i) => i,
        // Go's decoder is lenient with numbers in strings for weak-typed fields; so are we.
        JsonValueKind.String when int.TryParse(e.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) => i,
        _ => throw new FormatException($"{field} must be an integer"),
    };

    /// <summary>A Go duration string, or a number of nanoseconds as Consul also accepts.</summary>
    private static TimeSpan Duration(JsonElement? e, string field)
    {
        switch (e)
        {
            case null:
            case { ValueKind: JsonValueKind.Null }:
                return TimeSpan.Zero;
            case { ValueKind: JsonValueKind.String } s:
                var text = s.GetString();
                if (string.IsNullOrEmpty(text))
                {
                    return TimeSpan.Zero;
                }
                return GoDuration.TryParse(text, out var d) ? d : throw new FormatException($"{field}: time: invalid duration \"{text}\"");
            case { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var ns):
                return TimeSpan.FromTicks(ns / 100);
            default:
                throw new FormatException($"{field} must be a duration such as \"10s\"");
        }
    }

    private static IReadOnlyList<string> StringList(JsonElement? e, string field)
    {
        if (e is null || e.Value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }
        if (e.Value.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{field} must be an array of strings");
        }
        return e.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"{field} must be an array of strings")).ToList();
    }

    private static Dictionary<string, string> StringMap(JsonElement? e, string field)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e is null || e.Value.ValueKind == JsonValueKind.Null)
        {
            return map;
        }
        if (e.Value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{field} must be an object of strings");
        }
        foreach (var p in e.Value.EnumerateObject())
        {
            map[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new FormatException($"{field}.{p.Name} must be a string");
        }
        return map;
    }

    private static Dictionary<string, string[]> HeaderMap(JsonElement? e)
    {
        var map = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        if (e is not { ValueKind: JsonValueKind.Object } obj)
        {
            return map;
        }
        foreach (var p in obj.EnumerateObject())
        {
            map[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.Array => p.Value.EnumerateArray().Select(v => v.GetString() ?? "").ToArray(),
                JsonValueKind.String => [p.Value.GetString()!],
                _ => throw new FormatException($"Header.{p.Name} must be an array of strings"),
            };
        }
        return map;
    }
}

/// <summary>Consul's check statuses, spelled as on the wire.</summary>
internal static class CheckStatus
{
    public const string Passing = "passing";
    public const string Warning = "warning";
    public const string Critical = "critical";

    /// <summary>Higher is worse: critical over warning over passing, as Consul aggregates.</summary>
    public static int Rank(string status) => status switch
    {
        Passing => 0,
        Warning => 1,
        _ => 2,
    };

    public static string Worst(IEnumerable<string> statuses) => statuses.DefaultIfEmpty(Passing).MaxBy(Rank)!;
}
