using System.Collections.Frozen;

namespace Infrastructure.Eureka.Protocol;

/// <summary>Eureka's InstanceInfo: an immutable snapshot of what an instance registered (changes replace the snapshot), the same for client and server.</summary>
internal sealed record InstanceInfo
{
    public const string DefaultDataCenterClass = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo";
    public const int DefaultRenewalIntervalInSecs = 30;
    public const int DefaultDurationInSecs = 90;

    public static readonly IReadOnlyDictionary<string, string> EmptyMap = FrozenDictionary<string, string>.Empty;

    public required string InstanceId { get; init; }
    /// <summary>Upper-case application name.</summary>
    public required string App { get; init; }
    public string? AppGroupName { get; init; }
    public required string HostName { get; init; }
    public required string IpAddr { get; init; }
    public string? Sid { get; init; }
    public InstanceStatus Status { get; init; } = InstanceStatus.UP;
    public InstanceStatus OverriddenStatus { get; init; } = InstanceStatus.UNKNOWN;
    public int Port { get; init; } = 7001;
    public bool PortEnabled { get; init; } = true;
    public int SecurePort { get; init; } = 7002;
    public bool SecurePortEnabled { get; init; }
    public int CountryId { get; init; } = 1;
    public string DataCenterClass { get; init; } = DefaultDataCenterClass;
    public string DataCenterName { get; init; } = "MyOwn";
    public IReadOnlyDictionary<string, string> DataCenterMetadata { get; init; } = EmptyMap;
    public int RenewalIntervalInSecs { get; init; } = DefaultRenewalIntervalInSecs;
    public int DurationInSecs { get; init; } = DefaultDurationInSecs;
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMap;
    public string? HomePageUrl { get; init; }
    public string? StatusPageUrl { get; init; }
    public string? HealthCheckUrl { get; init; }
    public string? SecureHealthCheckUrl { get; init; }
    public string? VipAddress { get; init; }
    public string? SecureVipAddress { get; init; }
    public string? AsgName { get; init; }
    public bool IsCoordinatingDiscoveryServer { get; init; }
    public long LastUpdatedTimestamp { get; init; }
    public long LastDirtyTimestamp { get; init; }
    public ActionType? ActionType { get; init; }
}
