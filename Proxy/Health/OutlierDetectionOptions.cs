namespace Infrastructure.Proxy.Health;

/// <summary>Istio's <c>trafficPolicy.outlierDetection</c> (Envoy's <c>OutlierDetection</c>), with their defaults.</summary>
internal sealed class OutlierDetectionOptions
{
    /// <summary>5xx answers (and local failures: refused, reset, timed out) in a row that eject a host; default 5; 0 turns it off.</summary>
    public int Consecutive5xxErrors { get; init; } = 5;

    /// <summary>502, 503 and 504 answers (and local failures) in a row that eject a host; default 0 (off), as in Istio.</summary>
    public int ConsecutiveGatewayErrors { get; init; }

    /// <summary>Time between ejection sweeps, which bring hosts back and shrink the ejection multiplier of healthy ones; default 10 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Ejection time, multiplied by the number of times the host was ejected; default 30 s.</summary>
    public TimeSpan BaseEjectionTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest an ejection lasts (Envoy's <c>max_ejection_time</c>, not in Istio's API); default 300 s.</summary>
    public TimeSpan MaxEjectionTime { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// The most hosts, in percent, ejected at once; default 10. As Envoy does since 1.27, a host is ejected only if the
    /// ejected share after it stays within this percentage, so with the default and fewer than 10 hosts none is
    /// (set 100 for small pools, as Istio's examples do), unless <see cref="AlwaysEjectOneHost"/>.
    /// </summary>
    public int MaxEjectionPercent { get; init; } = 10;

    /// <summary>Envoy's <c>always_eject_one_host</c>: one host may be ejected whatever <see cref="MaxEjectionPercent"/> says; default false (Istio does not set it).</summary>
    public bool AlwaysEjectOneHost { get; init; }
}
