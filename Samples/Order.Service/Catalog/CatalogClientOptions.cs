using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Samples.Order.Catalog;

/// <summary>The <c>Order:Catalog</c> section: how the order service calls the catalog (Hystrix-like vocabulary).</summary>
public sealed class CatalogClientOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Order:Catalog";

    /// <summary>The catalog's address; a service name resolved through discovery (default <c>http://catalog</c>).</summary>
    [Required]
    public Uri BaseAddress { get; set; } = new("http://catalog");

    /// <summary>Timeout of one attempt in ms (default 1000, Hystrix's default).</summary>
    [Range(50, 60_000)]
    public int TimeoutMs { get; set; } = 1000;

    /// <summary>Retries after the first attempt, each on the next instance (default 2).</summary>
    [Range(0, 10)]
    public int Retries { get; set; } = 2;

    /// <summary>Failure ratio that opens the breaker (default 0.5, Hystrix's errorThresholdPercentage 50).</summary>
    [Range(0.01, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Calls in the sampling window before the breaker may open (default 10).</summary>
    [Range(2, 10_000)]
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>Sampling window in seconds (default 10, Hystrix's rolling window).</summary>
    [Range(1, 600)]
    public int SamplingDurationSeconds { get; set; } = 10;

    /// <summary>How long the breaker stays open before a half-open probe, in seconds (default 5, Hystrix's sleep window).</summary>
    [Range(1, 600)]
    public int BreakDurationSeconds { get; set; } = 5;
}
