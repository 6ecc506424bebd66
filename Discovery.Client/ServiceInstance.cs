namespace Infrastructure.Discovery.Client;

/// <summary>One live instance of a service, as the registry (or static configuration) reports it.</summary>
/// <param name="ServiceId">The application name, lower-case (Eureka's app name, case-insensitive).</param>
/// <param name="InstanceId">Eureka's instanceId (often <c>host:app:port</c>).</param>
/// <param name="Host">Host name or IP address to connect to.</param>
/// <param name="Port">The port to connect to (the secure port when <paramref name="Secure"/>).</param>
/// <param name="Secure">Whether to use https.</param>
/// <param name="Metadata">Eureka metadata (zone, weight, version...).</param>
public sealed record ServiceInstance(
    string ServiceId,
    string InstanceId,
    string Host,
    int Port,
    bool Secure,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The zone from Eureka metadata (<c>zone</c>), if any.</summary>
    public string? Zone => Metadata.TryGetValue("zone", out var z) ? z : null;

    /// <summary>Base URI of the instance, e.g. <c>http://10.0.0.5:8080/</c>.</summary>
    public Uri Uri { get; } = new UriBuilder(Secure ? "https" : "http", Host, Port).Uri;
}
