using Infrastructure.Mesh.Api.Resources;
using Grpc.Core;
using Grpc.Net.Client;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Sidecar.Hosting;
using Microsoft.Extensions.Options;

namespace Infrastructure.Mesh.Sidecar.Xds;

/// <summary>
/// The sidecar's end of <c>MeshDiscoveryService.StreamResources</c>: one request per type with the Node, an ACK (nonce and
/// new version) or NACK (nonce, previous version, the reason) per push; reconnects with backoff and keeps serving the
/// last good config meanwhile.
/// </summary>
internal sealed partial class XdsClient(
    ControlPlaneChannel channel,
    ConfigStore store,
    WorkloadIdentity identity,
    TimeProvider time,
    ILogger<XdsClient> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            var gotPush = false;
            try
            {
                await foreach (var _ in StreamAsync(stoppingToken).ConfigureAwait(false))
                {
                    gotPush = true;
                    backoff = TimeSpan.FromMilliseconds(250);
                }
                LogStreamEnded(logger, channel.Address);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                LogStreamFailed(logger, channel.Address, ex.Status.StatusCode.ToString(), ex.Status.Detail);
                channel.FailOver();
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
            {
                LogStreamFailed(logger, channel.Address, ex.GetType().Name, ex.Message);
                channel.FailOver();
            }
            finally
            {
                store.Connected = false;
            }
            if (gotPush)
            {
                backoff = TimeSpan.FromMilliseconds(250);
            }
            var jittered = backoff * (0.8 + (Random.Shared.NextDouble() * 0.4));
            try
            {
                await Task.Delay(jittered, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }

    /// <summary>One stream: yields after each push handled.</summary>
    private async IAsyncEnumerable<string> StreamAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = new MeshDiscoveryService.MeshDiscoveryServiceClient(channel.Channel);
        using var call = client.StreamResources(cancellationToken: cancellationToken);
        var node = identity.Node();
        foreach (var type in ResourceTypes.All)
        {
            // The version last applied, so a restarted control plane knows what this proxy holds.
            await call.RequestStream.WriteAsync(new DiscoveryRequest
            {
                Node = node,
                TypeUrl = type,
                VersionInfo = store.Current.Types[type].Version,
            }, cancellationToken).ConfigureAwait(false);
        }
        store.Connected = true;
        LogConnected(logger, channel.Address);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            var request = Handle(response);
            await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            yield return response.TypeUrl;
        }
    }

    /// <summary>Applies or rejects one push and returns the ACK or NACK to send.</summary>
    internal DiscoveryRequest Handle(DiscoveryResponse response)
    {
        var previous = store.Current.Types.TryGetValue(response.TypeUrl, out var state) ? state : TypeState.Empty(response.TypeUrl);
        var wrongType = response.Resources.FirstOrDefault(r => TypeOf(r) != response.TypeUrl);
        var reason = !ResourceTypes.All.Contains(response.TypeUrl, StringComparer.Ordinal)
            ? $"unknown type {response.TypeUrl}"
            : wrongType is not null
                ? $"{wrongType.Kind} {wrongType.Metadata?.Name}: pushed as {response.TypeUrl}"
                : Reason(MeshResourceValidator.ValidateAll(response.Resources));
        if (reason is null)
        {
            store.Accept(new TypeState(response.TypeUrl, response.VersionInfo, response.Nonce, response.Resources.ToList(), time.GetUtcNow()));
            LogAccepted(logger, response.TypeUrl, response.VersionInfo, response.Resources.Count);
            return new DiscoveryRequest { TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce };
        }
        store.Reject(response.TypeUrl, new Rejection(response.VersionInfo, response.Nonce, reason, time.GetUtcNow()));
        LogRejected(logger, response.TypeUrl, response.VersionInfo, reason);
        return new DiscoveryRequest
        {
            TypeUrl = response.TypeUrl,
            VersionInfo = previous.Version,
            ResponseNonce = response.Nonce,
            // google.rpc.Code INVALID_ARGUMENT, as Envoy sends.
            ErrorDetail = new ErrorDetail { Code = 3, Message = reason },
        };
    }

    private static string TypeOf(MeshResource r) => ResourceTypes.TypeUrlOf(r);

    private static string? Reason(IReadOnlyList<ResourceError> errors) =>
        errors.Count == 0 ? null : MeshResourceValidator.NackMessage(errors);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Connected to the control plane at {ControlPlane}")]
    private static partial void LogConnected(ILogger logger, string controlPlane);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Config stream to {ControlPlane} failed ({Code}: {Detail}); serving the last good config and reconnecting")]
    private static partial void LogStreamFailed(ILogger logger, string controlPlane, string code, string detail);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Config stream to {ControlPlane} ended; reconnecting")]
    private static partial void LogStreamEnded(ILogger logger, string controlPlane);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "ACK {TypeUrl} version {Version} ({Count} resources)")]
    private static partial void LogAccepted(ILogger logger, string typeUrl, string version, int count);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "NACK {TypeUrl} version {Version}: {Reason}; keeping the previous set")]
    private static partial void LogRejected(ILogger logger, string typeUrl, string version, string reason);
}

/// <summary>
/// The h2c channel to the control plane, shared by the config stream and the CA client; with several replicas
/// (<c>--control-plane a,b</c>) one channel per replica, and <see cref="FailOver"/> moves both clients to the next.
/// </summary>
internal sealed class ControlPlaneChannel : IDisposable
{
    private readonly GrpcChannel[] _channels;
    private readonly string[] _addresses;
    private int _current;

    public ControlPlaneChannel(IOptions<SidecarOptions> options)
    {
        var addresses = options.Value.ControlPlaneAddresses();
        _addresses = [.. addresses.Select(a => a.ToString().TrimEnd('/'))];
        _channels = [.. addresses.Select(Create)];
    }

    public GrpcChannel Channel => _channels[Volatile.Read(ref _current) % _channels.Length];

    /// <summary>The address <see cref="Channel"/> talks to.</summary>
    public string Address => _addresses[Volatile.Read(ref _current) % _addresses.Length];

    /// <summary>After a failed stream or call: the next replica (the same one when there is only one).</summary>
    public void FailOver() => Interlocked.Increment(ref _current);

    private static GrpcChannel Create(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            // The config stream's spans would be one endless trace.
            ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
        },
    });

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }
}

/// <summary>Who this sidecar is: app, instance id, labels, the Node sent to the control plane.</summary>
internal sealed class WorkloadIdentity(IOptions<SidecarOptions> options)
{
    public string App => options.Value.AppName.ToLowerInvariant();

    public string InstanceId => $"127.0.0.1:{App}:{options.Value.InboundPort}";

    public IReadOnlyDictionary<string, string> Labels => options.Value.Labels();

    public string SpiffeId => SidecarOptions.SpiffeId(App);

    public Node Node()
    {
        var node = new Node
        {
            Id = $"{App}~{InstanceId}",
            App = App,
            InstanceId = InstanceId,
            Namespace = SidecarOptions.Namespace,
            ProxyVersion = typeof(WorkloadIdentity).Assembly.GetName().Version?.ToString() ?? "",
        };
        foreach (var (k, v) in Labels)
        {
            node.Labels[k] = v;
        }
        return node;
    }
}
