using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using Infrastructure.Mesh.Api;

namespace Infrastructure.Mesh.ControlPlane.Tests.Support;

/// <summary>A fake sidecar's end of <c>StreamResources</c>: sends requests, collects responses.</summary>
internal sealed class ProxyStream : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> _call;
    private readonly Channel<DiscoveryResponse> _responses = Channel.CreateUnbounded<DiscoveryResponse>();
    private readonly Task _reader;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<DiscoveryResponse> _held = [];

    public ProxyStream(GrpcChannel channel, string app, string instance, IDictionary<string, string>? labels = null)
    {
        Node = new Node { Id = $"{app}~{instance}", App = app, InstanceId = instance, Namespace = "default", ProxyVersion = "test" };
        Node.Labels["app"] = app;
        foreach (var (k, v) in labels ?? new Dictionary<string, string>())
        {
            Node.Labels[k] = v;
        }
        _call = new MeshDiscoveryService.MeshDiscoveryServiceClient(channel).StreamResources(cancellationToken: _stop.Token);
        _reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var response in _call.ResponseStream.ReadAllAsync(_stop.Token))
                {
                    await _responses.Writer.WriteAsync(response);
                }
            }
            catch (RpcException)
            {
            }
            catch (OperationCanceledException)
            {
            }
            _responses.Writer.TryComplete();
        });
    }

    public Node Node { get; }

    public Task SubscribeAsync(string typeUrl, string version = "") =>
        _call.RequestStream.WriteAsync(new DiscoveryRequest { Node = Node, TypeUrl = typeUrl, VersionInfo = version });

    public Task AckAsync(DiscoveryResponse response) =>
        _call.RequestStream.WriteAsync(new DiscoveryRequest { Node = Node, TypeUrl = response.TypeUrl, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce });

    public Task NackAsync(DiscoveryResponse response, string previousVersion, string reason) =>
        _call.RequestStream.WriteAsync(new DiscoveryRequest
        {
            Node = Node,
            TypeUrl = response.TypeUrl,
            VersionInfo = previousVersion,
            ResponseNonce = response.Nonce,
            ErrorDetail = new ErrorDetail { Code = 3, Message = reason },
        });

    public Task SendAsync(DiscoveryRequest request) => _call.RequestStream.WriteAsync(request);

    /// <summary>The next response (of <paramref name="typeUrl"/> when given), waiting at most <paramref name="timeout"/> (default 10 s).</summary>
    public async Task<DiscoveryResponse> NextAsync(string? typeUrl = null, TimeSpan? timeout = null)
    {
        var held = _held.FindIndex(r => typeUrl is null || r.TypeUrl == typeUrl);
        if (held >= 0)
        {
            var response = _held[held];
            _held.RemoveAt(held);
            return response;
        }
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var response = await _responses.Reader.ReadAsync(cts.Token);
            if (typeUrl is null || response.TypeUrl == typeUrl)
            {
                return response;
            }
            // Another type's push: kept for the caller that asks for it.
            _held.Add(response);
        }
    }

    /// <summary>Whether a response arrives within <paramref name="wait"/>.</summary>
    public async Task<DiscoveryResponse?> TryNextAsync(TimeSpan wait)
    {
        if (_held.Count > 0)
        {
            var response = _held[0];
            _held.RemoveAt(0);
            return response;
        }
        using var cts = new CancellationTokenSource(wait);
        try
        {
            return await _responses.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Completes when the control plane ends the stream (or it fails).</summary>
    public Task Ended => _reader;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync();
        }
        catch (InvalidOperationException)
        {
        }
        catch (RpcException)
        {
        }
        await _stop.CancelAsync();
        await _reader;
        _call.Dispose();
        _stop.Dispose();
    }
}
