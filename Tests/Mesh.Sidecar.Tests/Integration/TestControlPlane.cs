using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Core;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Mesh.Sidecar.Tests.Integration;

/// <summary>
/// An in-test control plane on h2c: pushes the test's resources per type (version and nonce per push) to every
/// connected sidecar, records their ACKs and NACKs, and issues certificates from a <see cref="TestCa"/>.
/// </summary>
public sealed class TestControlPlane : IAsyncDisposable
{
    private WebApplication? _app;
    private readonly ConcurrentDictionary<string, (string Version, IReadOnlyList<MeshResource> Resources)> _sets = new();
    private readonly ConcurrentDictionary<Guid, Stream> _streams = new();
    private int _version;

    private TestControlPlane(int port)
    {
        Address = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        foreach (var type in ResourceTypes.All)
        {
            _sets[type] = ("0", []);
        }
    }

    public string Address { get; }

    public TestCa Ca { get; } = new();

    /// <summary>Every request received (first requests, ACKs, NACKs), in order.</summary>
    public ConcurrentQueue<DiscoveryRequest> Requests { get; } = new();

    /// <summary>Certificate lifetime given to sidecars that ask for the default.</summary>
    public TimeSpan DefaultValidity { get; set; } = TimeSpan.FromHours(24);

    public static async Task<TestControlPlane> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var plane = new TestControlPlane(port);
        builder.Services.AddSingleton(plane);
        var app = builder.Build();
        plane._app = app;
        app.MapGrpcService<DiscoveryService>();
        app.MapGrpcService<CertificateService>();
        await app.StartAsync();
        return plane;
    }

    /// <summary>Replaces the set of <paramref name="typeUrl"/> and pushes it to every connected sidecar; returns the version.</summary>
    public async Task<string> PushAsync(string typeUrl, params MeshResource[] resources)
    {
        var version = Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);
        _sets[typeUrl] = (version, resources);
        foreach (var stream in _streams.Values)
        {
            await stream.SendAsync(typeUrl);
        }
        return version;
    }

    /// <summary>Waits (bounded) for a request matching <paramref name="match"/>.</summary>
    public async Task<DiscoveryRequest> WaitForRequestAsync(Func<DiscoveryRequest, bool> match, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            var found = Requests.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("no such request from a sidecar: " + string.Join(" | ", Requests.Select(r => $"{r.TypeUrl} v={r.VersionInfo} n={r.ResponseNonce} err={r.ErrorDetail?.Message}")));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _app.StopAsync(stop.Token);
            await _app.DisposeAsync();
        }
        Ca.Dispose();
    }

    private sealed class Stream(TestControlPlane plane, IServerStreamWriter<DiscoveryResponse> writer)
    {
        private readonly SemaphoreSlim _lock = new(1, 1);
        private int _nonce;

        public async Task SendAsync(string typeUrl)
        {
            var (version, resources) = plane._sets[typeUrl];
            var response = new DiscoveryResponse
            {
                TypeUrl = typeUrl,
                VersionInfo = version,
                Nonce = Interlocked.Increment(ref _nonce).ToString(CultureInfo.InvariantCulture),
                ControlPlaneIdentifier = "test",
            };
            response.Resources.Add(resources);
            await _lock.WaitAsync();
            try
            {
                await writer.WriteAsync(response);
            }
            catch (InvalidOperationException)
            {
                // The stream ended.
            }
            finally
            {
                _lock.Release();
            }
        }
    }

    private sealed class DiscoveryService(TestControlPlane plane) : MeshDiscoveryService.MeshDiscoveryServiceBase
    {
        public override async Task StreamResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context)
        {
            var id = Guid.NewGuid();
            var stream = new Stream(plane, responseStream);
            plane._streams[id] = stream;
            try
            {
                await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
                {
                    plane.Requests.Enqueue(request);
                    if (request.ResponseNonce.Length == 0)
                    {
                        await stream.SendAsync(request.TypeUrl);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The sidecar went away.
            }
            catch (IOException)
            {
                // The sidecar went away.
            }
            finally
            {
                plane._streams.TryRemove(id, out _);
            }
        }
    }

    private sealed class CertificateService(TestControlPlane plane) : IstioCertificateService.IstioCertificateServiceBase
    {
        public override Task<IstioCertificateResponse> CreateCertificate(IstioCertificateRequest request, ServerCallContext context)
        {
            var validity = request.ValidityDuration > 0 ? TimeSpan.FromSeconds(request.ValidityDuration) : plane.DefaultValidity;
            var response = new IstioCertificateResponse();
            response.CertChain.Add(plane.Ca.Sign(request.Csr, validity));
            return Task.FromResult(response);
        }
    }
}
