using System.Globalization;
using Infrastructure.ServiceDefaults.Options;

namespace Infrastructure.Discovery.Server.Registry;

/// <summary>
/// The start-up check of <c>Eureka:Server</c>: Eureka accepts any number for these settings, so a value outside the range
/// we would choose is taken with Eureka's meaning and reported as a configuration warning. Refused are only values nothing
/// could run with: a timer interval below 1 ms, a renewal interval of 0 (the threshold divides by it), a negative cache
/// lifetime or sync wait.
/// </summary>
internal static class EurekaServerSettingsCheck
{
    private const string Key = EurekaServerOptions.Section + ":";

    public static IEnumerable<string> Check(EurekaServerOptions o, SettingsWarnings warnings)
    {
        var errors = new List<string>();
        if (!double.IsFinite(o.RenewalPercentThreshold))
        {
            errors.Add(Key + "RenewalPercentThreshold must be a number");
        }
        else if (o.RenewalPercentThreshold is < 0 or > 1)
        {
            warnings.Add(Key + "RenewalPercentThreshold", Text(o.RenewalPercentThreshold),
                o.RenewalPercentThreshold > 1
                    ? "used as given: self-preservation is on whenever renews are expected, and no lease is evicted while it is"
                    : "used as given: the renews threshold is negative, so with self-preservation on no lease is ever evicted",
                "Eureka accepts any number with this meaning (0.85 is its default)");
        }
        Timer(o.RenewalThresholdUpdateIntervalMs, "RenewalThresholdUpdateIntervalMs", 100, warnings, errors);
        Timer(o.EvictionIntervalTimerInMs, "EvictionIntervalTimerInMs", 10, warnings, errors);
        Timer(o.DeltaRetentionTimerIntervalInMs, "DeltaRetentionTimerIntervalInMs", 10, warnings, errors);
        Timer(o.ResponseCacheUpdateIntervalMs, "ResponseCacheUpdateIntervalMs", 10, warnings, errors);
        if (o.ExpectedClientRenewalIntervalSeconds == 0)
        {
            errors.Add(Key + "ExpectedClientRenewalIntervalSeconds must not be 0 (the renews threshold is 60 divided by it)");
        }
        else if (o.ExpectedClientRenewalIntervalSeconds is < 0 or > 3600)
        {
            warnings.Add(Key + "ExpectedClientRenewalIntervalSeconds", Text(o.ExpectedClientRenewalIntervalSeconds),
                o.ExpectedClientRenewalIntervalSeconds < 0
                    ? "used as given: the renews threshold is negative, so with self-preservation on no lease is ever evicted"
                    : "used as given: the renews threshold is tiny, so self-preservation hardly ever starts",
                "Eureka accepts any number with this meaning (30 is its default)");
        }
        if (o.RetentionTimeInMSInDeltaQueue < 1000)
        {
            warnings.Add(Key + "RetentionTimeInMSInDeltaQueue", Text(o.RetentionTimeInMSInDeltaQueue),
                "used as given: changes leave /apps/delta almost at once, so clients miss them and fall back to full fetches",
                "Eureka accepts any value with this meaning (180000 is its default)");
        }
        if (o.ResponseCacheAutoExpirationInSeconds < 0)
        {
            errors.Add(Key + "ResponseCacheAutoExpirationInSeconds must not be negative");
        }
        else if (o.ResponseCacheAutoExpirationInSeconds == 0)
        {
            warnings.Add(Key + "ResponseCacheAutoExpirationInSeconds", "0",
                "used as given: a cached payload expires at once, so every read builds it again",
                "Eureka hands 0 to its cache's expireAfterWrite, which accepts it");
        }
        if (o.NumberOfReplicationRetries < 0)
        {
            warnings.Add(Key + "NumberOfReplicationRetries", Text(o.NumberOfReplicationRetries),
                "read as 0: each replication call is tried once", "Eureka accepts any number (5 is its default)");
        }
        else if (o.NumberOfReplicationRetries > 100)
        {
            warnings.Add(Key + "NumberOfReplicationRetries", Text(o.NumberOfReplicationRetries),
                "used as given: a peer that is down holds its replication queue through that many retries",
                "Eureka accepts any number (5 is its default)");
        }
        if (o.PeerNodeReadTimeoutMs <= 0)
        {
            warnings.Add(Key + "PeerNodeReadTimeoutMs", Text(o.PeerNodeReadTimeoutMs),
                "read as no timeout: a hung peer holds its replication queue until the connection breaks",
                "Eureka hands it to its HTTP client, where 0 or less is no socket timeout");
        }
        else if (o.PeerNodeReadTimeoutMs is < 50 or > 600_000)
        {
            warnings.Add(Key + "PeerNodeReadTimeoutMs", Text(o.PeerNodeReadTimeoutMs),
                o.PeerNodeReadTimeoutMs < 50
                    ? "used as given: a peer slower than that counts as down and its replicas are retried"
                    : "used as given: a hung peer holds its replication queue that long",
                "Eureka accepts any number (200 is its default; 5000 is ours)");
        }
        if (o.RegistrySyncRetries < 0)
        {
            warnings.Add(Key + "RegistrySyncRetries", Text(o.RegistrySyncRetries),
                "used as given: no sync from the peers on start", "Eureka accepts any number and syncs no time either");
        }
        else if (o.RegistrySyncRetries > 1000)
        {
            warnings.Add(Key + "RegistrySyncRetries", Text(o.RegistrySyncRetries),
                "used as given: a node whose peers are all down retries its start-up sync that many times",
                "Eureka accepts any number (5 is its default)");
        }
        return errors;
    }

    /// <summary>The replication attempts for one call: Eureka's retries plus the first try, at least one.</summary>
    public static int ReplicationAttempts(EurekaServerOptions o) => 1 + Math.Max(0, o.NumberOfReplicationRetries);

    /// <summary>The timeout of one call to a peer: none for 0 or less, as Eureka's HTTP client.</summary>
    public static TimeSpan PeerTimeout(EurekaServerOptions o) =>
        o.PeerNodeReadTimeoutMs <= 0 ? System.Threading.Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(o.PeerNodeReadTimeoutMs);

    private static void Timer(int value, string name, int ours, SettingsWarnings warnings, List<string> errors)
    {
        if (value < 1)
        {
            errors.Add($"{Key}{name} must be at least 1 (a timer period; Eureka's timer refuses it too)");
        }
        else if (value < ours)
        {
            warnings.Add(Key + name, Text(value),
                $"used as given: the timer runs every {value} ms, which costs CPU for little gain (we would choose {ours} or more)",
                "Eureka accepts any period of 1 ms or more");
        }
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
