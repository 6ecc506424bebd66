using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.ControlPlane.Config;
using Microsoft.Extensions.Options;

namespace Infrastructure.Mesh.ControlPlane.Push;

/// <summary>
/// <c>MeshDiscoveryService.StreamResources</c> with xDS's state-of-the-world semantics: a request without a nonce
/// subscribes to a type and gets its full set at once; each push carries the type's version (a hash of what this proxy
/// is sent, so replicas agree) and a fresh nonce; a request echoing the last nonce ACKs (or NACKs, with
/// <c>error_detail</c>); a request echoing an older nonce is stale and ignored, as Envoy's servers do.
/// </summary>
internal sealed partial class MeshDiscoveryEndpoint(
    ResourceStore store,
    ProxyRegistry proxies,
    PushMetrics metrics,
    IOptions<MeshOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<MeshDiscoveryEndpoint> logger) : MeshDiscoveryService.MeshDiscoveryServiceBase
{
    private readonly string _identifier = options.Value.ControlPlaneIdentifier
        ?? $"{Environment.MachineName}-{Environment.ProcessId}";

    public override async Task StreamResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context)
    {
        var connection = new ProxyConnection(Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant(), time.GetUtcNow(), context.Peer);
        // Streams end when the server stops (graceful shutdown): each proxy reconnects, to this replica when it is back or to another.
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var writer = WriteLoopAsync(connection, responseStream, done.Token);
        proxies.Add(connection);
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(done.Token).ConfigureAwait(false))
            {
                Receive(connection, request);
                if (writer.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (done.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // The proxy went away mid-frame (killed): the same as the end of the stream.
        }
        finally
        {
            proxies.Remove(connection);
            LogDisconnected(connection.Node.Id, connection.ConnectionId);
            await done.CancelAsync().ConfigureAwait(false);
            connection.Wake.Writer.TryComplete();
            await writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void Receive(ProxyConnection connection, DiscoveryRequest request)
    {
        lock (connection.Gate)
        {
            if (request.Node is { Id.Length: > 0 } node && !node.Equals(connection.Node))
            {
                var first = connection.Node.Id.Length == 0;
                connection.Node = node;
                if (first)
                {
                    LogConnected(node.Id, node.App, node.InstanceId, connection.Peer, connection.ConnectionId);
                }
                else
                {
                    // New labels can change what the proxy is sent.
                    connection.Signal();
                }
            }
            if (!ResourceTypes.All.Contains(request.TypeUrl))
            {
                LogUnknownType(connection.Node.Id, request.TypeUrl);
                return;
            }
            var state = connection.Type(request.TypeUrl);
            if (request.ResponseNonce.Length == 0)
            {
                // A subscription (first request of the type, or a reconnect carrying the version it holds): answer at once.
                state.Subscribed = true;
                state.ForcePush = true;
                connection.Signal();
                return;
            }
            if (request.ResponseNonce != state.SentNonce)
            {
                LogStaleNonce(connection.Node.Id, request.TypeUrl, request.ResponseNonce);
                return;
            }
            if (request.ErrorDetail is { } error)
            {
                state.NackError = error.Message.Length > 0 ? error.Message : $"NACK with code {error.Code}";
                state.NackedVersion = state.SentVersion;
                state.AckedVersion = request.VersionInfo.Length > 0 ? request.VersionInfo : state.AckedVersion;
                metrics.Rejected(request.TypeUrl);
                LogNack(connection.Node.Id, request.TypeUrl, state.SentVersion ?? "", state.NackError);
                return;
            }
            state.AckedVersion = request.VersionInfo;
            state.AckedNonce = request.ResponseNonce;
            state.NackError = null;
            state.NackedVersion = null;
            LogAck(connection.Node.Id, request.TypeUrl, request.VersionInfo);
        }
    }

    private async Task WriteLoopAsync(ProxyConnection connection, IServerStreamWriter<DiscoveryResponse> stream, CancellationToken cancellationToken)
    {
        await Task.Yield();
        while (await connection.Wake.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            connection.Wake.Reader.TryRead(out _);
            var snapshot = store.Current;
            foreach (var typeUrl in ResourceTypes.All)
            {
                DiscoveryResponse? response = null;
                lock (connection.Gate)
                {
                    var state = connection.Type(typeUrl);
                    if (!state.Subscribed)
                    {
                        continue;
                    }
                    var resources = ProxyScope.Select(snapshot.OfType(typeUrl), connection.Node).ToList();
                    var version = Version(resources);
                    if (!state.ForcePush && version == state.SentVersion)
                    {
                        continue;
                    }
                    state.ForcePush = false;
                    response = new DiscoveryResponse
                    {
                        TypeUrl = typeUrl,
                        VersionInfo = version,
                        Nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant(),
                        ControlPlaneIdentifier = _identifier,
                    };
                    response.Resources.AddRange(resources);
                    state.SentVersion = version;
                    state.SentNonce = response.Nonce;
                    state.SentAt = time.GetUtcNow();
                    state.SentCount++;
                }
                await stream.WriteAsync(response, cancellationToken).ConfigureAwait(false);
                metrics.Pushed(typeUrl);
                LogPushed(connection.Node.Id, typeUrl, response.VersionInfo, response.Resources.Count);
            }
        }
    }

    /// <summary>The version of a set: the first 16 hex digits of the SHA-256 of its resources, in order.</summary>
    internal static string Version(IReadOnlyList<MeshResource> resources)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var r in resources)
        {
            sha.AppendData(r.ToByteArray());
        }
        return Convert.ToHexString(sha.GetHashAndReset(), 0, 8).ToLowerInvariant();
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Proxy {ProxyId} connected (app {App}, instance {Instance}, from {Peer}, stream {ConnectionId})")]
    private partial void LogConnected(string proxyId, string app, string instance, string peer, string connectionId);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Proxy {ProxyId} disconnected (stream {ConnectionId})")]
    private partial void LogDisconnected(string proxyId, string connectionId);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Pushed {TypeUrl} version {Version} ({Count} resources) to {ProxyId}")]
    private partial void LogPushed(string proxyId, string typeUrl, string version, int count);

    [LoggerMessage(EventId = 13, Level = LogLevel.Debug, Message = "ACK from {ProxyId} for {TypeUrl} version {Version}")]
    private partial void LogAck(string proxyId, string typeUrl, string version);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "NACK from {ProxyId} for {TypeUrl} version {Version}: {Error}")]
    private partial void LogNack(string proxyId, string typeUrl, string version, string error);

    [LoggerMessage(EventId = 15, Level = LogLevel.Debug, Message = "Ignored a request from {ProxyId} for {TypeUrl} with stale nonce {Nonce}")]
    private partial void LogStaleNonce(string proxyId, string typeUrl, string nonce);

    [LoggerMessage(EventId = 16, Level = LogLevel.Debug, Message = "Ignored a request from {ProxyId} for unknown type {TypeUrl}")]
    private partial void LogUnknownType(string proxyId, string typeUrl);
}
