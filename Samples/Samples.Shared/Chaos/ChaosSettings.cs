namespace Infrastructure.Samples.Shared.Chaos;

/// <summary>The fault-injection state of one sample instance (all off by default).</summary>
public sealed record ChaosSettings
{
    /// <summary>Delay added to every request, in milliseconds (0..60000).</summary>
    public int LatencyMs { get; init; }

    /// <summary>Share of requests answered 500 (0..1).</summary>
    public double ErrorRatio { get; init; }

    /// <summary>When true every request but <c>/chaos</c> gets 503, health included, as if the instance were down.</summary>
    public bool Down { get; init; }

    /// <summary>Whether anything is injected.</summary>
    public bool Active => LatencyMs > 0 || ErrorRatio > 0 || Down;
}
