namespace Infrastructure.Proxy.Forwarding;

/// <summary>Per-request settings of the forwarder (YARP's <c>ForwarderRequestConfig</c>); a default value means no timeouts beyond the client's own.</summary>
/// <param name="ResponseTimeout">
/// Bounds the wait for the response headers, counted once the request body was sent (so a slow upload is not cut
/// short), and then the silence between two reads of the response body; null: unbounded.
/// </param>
/// <param name="ConnectTimeout">Bounds opening a new connection for this request; null: the client's default.</param>
internal readonly record struct ForwarderRequestConfig(TimeSpan? ResponseTimeout = null, TimeSpan? ConnectTimeout = null);
