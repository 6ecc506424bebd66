using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Gateway.Resilience;

/// <summary>
/// One circuit breaker, in Hystrix's vocabulary and with Hystrix's defaults (<c>Gateway:CircuitBreakers:{name}</c>,
/// falling back to <c>Gateway:CircuitBreakers:Default</c>). Built on Polly's circuit breaker.
/// </summary>
public sealed class CircuitBreakerSettings
{
    /// <summary>Fewest requests in the rolling window before the error ratio can open the circuit (<c>circuitBreaker.requestVolumeThreshold</c>). Default 20.</summary>
    public int RequestVolumeThreshold { get; set; } = 20;

    /// <summary>Failed share of requests, in percent, that opens the circuit (<c>circuitBreaker.errorThresholdPercentage</c>). Default 50.</summary>
    public int ErrorThresholdPercentage { get; set; } = 50;

    /// <summary>How long the circuit stays open before one trial request is let through (half-open) (<c>circuitBreaker.sleepWindowInMilliseconds</c>). Default 5000.</summary>
    public int SleepWindowInMilliseconds { get; set; } = 5000;

    /// <summary>The rolling window the ratio is computed over (<c>metrics.rollingStats.timeInMilliseconds</c>). Default 10000.</summary>
    public int RollingStatsTimeInMilliseconds { get; set; } = 10_000;

    /// <summary>Time limit of the whole protected call, retries included (<c>execution.isolation.thread.timeoutInMilliseconds</c>); 0 disables. Default 1000.</summary>
    [Range(0, int.MaxValue)]
    public int TimeoutInMilliseconds { get; set; } = 1000;
}
