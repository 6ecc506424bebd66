namespace Infrastructure.Discovery.Client.Eureka.Transport;

/// <summary>Eureka's InstanceInfo: what a client registers and what the server lists (the fields this client uses).</summary>
internal sealed record InstanceInfo
{
    public required string InstanceId { get; init; }

    /// <summary>Application name, upper-case as Eureka returns it.</summary>
    public required string App { get; init; }

    public required string HostName { get; init; }

    public string IpAddr { get; init; } = "";

    public string Status { get; init; } = InstanceStatus.Up;

    public string OverriddenStatus { get; init; } = InstanceStatus.Unknown;

    public int Port { get; init; }

    public bool PortEnabled { get; init; } = true;

    public int SecurePort { get; init; } = 443;

    public bool SecurePortEnabled { get; init; }

    public string? VipAddress { get; init; }

    public string? SecureVipAddress { get; init; }

    public string? HomePageUrl { get; init; }

    public string? StatusPageUrl { get; init; }

    public string? HealthCheckUrl { get; init; }

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    public int RenewalIntervalInSecs { get; init; } = 30;

    public int DurationInSecs { get; init; } = 90;

    public long LastUpdatedTimestamp { get; init; }

    public long LastDirtyTimestamp { get; init; }

    /// <summary>ADDED, MODIFIED or DELETED in a delta; absent otherwise.</summary>
    public string? ActionType { get; init; }

    /// <summary>
    /// The instance as the rest of the client sees it: the plain port when it is enabled, the secure port only when it
    /// is the one enabled (Spring Cloud prefers the secure port whenever it is enabled; callers asking for
    /// <c>http://name</c> would then find nothing).
    /// </summary>
    public ServiceInstance ToServiceInstance()
    {
        var secure = SecurePortEnabled && !PortEnabled;
        return new ServiceInstance(App.ToLowerInvariant(), InstanceId, HostName, secure ? SecurePort : Port, secure, Metadata);
    }
}

/// <summary>Eureka's instance statuses and delta action types.</summary>
internal static class InstanceStatus
{
    public const string Up = "UP";
    public const string Down = "DOWN";
    public const string Starting = "STARTING";
    public const string OutOfService = "OUT_OF_SERVICE";
    public const string Unknown = "UNKNOWN";

    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
}

/// <summary>A parsed <c>applications</c> document (full registry or delta).</summary>
internal sealed record ApplicationsDocument(string? VersionsDelta, string? AppsHashCode, IReadOnlyList<InstanceInfo> Instances);
