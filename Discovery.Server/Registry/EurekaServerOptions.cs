using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Discovery.Server.Registry;

/// <summary>Server settings under <c>Eureka:Server</c>, named after Spring's <c>eureka.server.*</c> properties.</summary>
public sealed class EurekaServerOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Eureka:Server";

    /// <summary>Stop evicting when renews fall below the threshold. Default true.</summary>
    public bool EnableSelfPreservation { get; set; } = true;

    /// <summary>Fraction of expected renews per minute below which self-preservation starts. Default 0.85.</summary>
    public double RenewalPercentThreshold { get; set; } = 0.85;

    /// <summary>How often the expected renews are recomputed from the registry size. Default 900000 (15 min).</summary>
    public int RenewalThresholdUpdateIntervalMs { get; set; } = 15 * 60 * 1000;

    /// <summary>Renewal interval the server assumes clients use when computing expected renews. Default 30.</summary>
    public int ExpectedClientRenewalIntervalSeconds { get; set; } = 30;

    /// <summary>How often expired leases are evicted. Default 60000.</summary>
    public int EvictionIntervalTimerInMs { get; set; } = 60_000;

    /// <summary>How long a change stays in the recently-changed queue served by <c>/apps/delta</c>. Default 180000.</summary>
    public int RetentionTimeInMSInDeltaQueue { get; set; } = 3 * 60 * 1000;

    /// <summary>How often old entries are dropped from the recently-changed queue. Default 30000.</summary>
    public int DeltaRetentionTimerIntervalInMs { get; set; } = 30_000;

    /// <summary>Serve registry payloads from a read-only cache refreshed on <see cref="ResponseCacheUpdateIntervalMs"/>. Default true.</summary>
    public bool UseReadOnlyResponseCache { get; set; } = true;

    /// <summary>How often the read-only response cache is refreshed from the read-write one. Default 30000.</summary>
    public int ResponseCacheUpdateIntervalMs { get; set; } = 30_000;

    /// <summary>How long a payload stays in the read-write cache without a change. Default 180.</summary>
    public int ResponseCacheAutoExpirationInSeconds { get; set; } = 180;

    /// <summary>Attempts for a replication call that failed to reach a peer. Default 5.</summary>
    public int NumberOfReplicationRetries { get; set; } = 5;

    /// <summary>Timeout of one call to a peer. Eureka's default is 200 ms; ours is 5000 so a loaded machine does not drop replicas.</summary>
    public int PeerNodeReadTimeoutMs { get; set; } = 5000;

    /// <summary>Attempts to sync the registry from a peer on start. Default 5.</summary>
    public int RegistrySyncRetries { get; set; } = 5;

    /// <summary>Wait between sync attempts. Default 30000.</summary>
    [Range(0, int.MaxValue)]
    public int RegistrySyncRetryWaitMs { get; set; } = 30_000;

    /// <summary>Largest accepted request body (ours, Eureka has none). Default 262144.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 256 * 1024;
}
