using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Gateway.Dashboard;

/// <summary>
/// <c>Gateway:Dashboard</c>: the rolling window of the live dashboard's statistics (Hystrix's
/// <c>metrics.rollingStats.*</c>) and its Server-Sent Events stream.
/// </summary>
public sealed class DashboardOptions : IValidatableObject
{
    /// <summary>The section name.</summary>
    public const string SectionName = "Gateway:Dashboard";

    /// <summary>Whether <c>/dashboard</c>, <c>/actuator/hystrix.stream</c> and the statistics exist at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Length of the rolling window (<c>metrics.rollingStats.timeInMilliseconds</c>). Default 10000.</summary>
    [Range(100, 600_000)]
    public int RollingStatsTimeInMilliseconds { get; set; } = 10_000;

    /// <summary>Buckets the window is cut into (<c>metrics.rollingStats.numBuckets</c>); must divide the window. Default 10.</summary>
    [Range(1, 100)]
    public int RollingStatsNumBuckets { get; set; } = 10;

    /// <summary>Time between two batches of events on the stream, unless the client asks <c>?delay=</c>. Default 1000.</summary>
    [Range(100, 60_000)]
    public int StreamIntervalMilliseconds { get; set; } = 1000;

    /// <summary>Open streams allowed at once; more get 503 (Hystrix's <c>maxConcurrentConnections</c>). Default 5.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentConnections { get; set; } = 5;

    /// <summary>Time limit of a chaos call forwarded to a sample instance. Default 5000.</summary>
    [Range(100, 60_000)]
    public int ChaosTimeoutMilliseconds { get; set; } = 5000;

    /// <summary>Milliseconds per bucket.</summary>
    public int BucketSizeInMilliseconds => RollingStatsTimeInMilliseconds / RollingStatsNumBuckets;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RollingStatsNumBuckets > 0 && RollingStatsTimeInMilliseconds % RollingStatsNumBuckets != 0)
        {
            yield return new ValidationResult(
                $"Gateway:Dashboard: RollingStatsTimeInMilliseconds ({RollingStatsTimeInMilliseconds}) must be a multiple of RollingStatsNumBuckets ({RollingStatsNumBuckets})",
                [nameof(RollingStatsTimeInMilliseconds), nameof(RollingStatsNumBuckets)]);
        }
        if (RollingStatsNumBuckets > 0 && RollingStatsTimeInMilliseconds / RollingStatsNumBuckets < 10)
        {
            yield return new ValidationResult("Gateway:Dashboard: a bucket must last at least 10 ms", [nameof(RollingStatsNumBuckets)]);
        }
    }
}
