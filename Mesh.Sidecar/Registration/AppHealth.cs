using System.Net.Sockets;
using Infrastructure.Mesh.Sidecar.Hosting;
using Microsoft.Extensions.Options;

namespace Infrastructure.Mesh.Sidecar.Registration;

/// <summary>Whether the app answers: its health URL (2xx/3xx = UP) or, without a path, a TCP connect to its port.</summary>
internal sealed class AppHealth(IOptions<SidecarOptions> options) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
    }) { Timeout = Timeout };

    public async Task<bool> IsUpAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        try
        {
            if (string.IsNullOrWhiteSpace(o.AppHealthPath))
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(Timeout);
                await socket.ConnectAsync(System.Net.IPAddress.Loopback, o.AppPort, timeout.Token).ConfigureAwait(false);
                return true;
            }
            var path = o.AppHealthPath.StartsWith('/') ? o.AppHealthPath : "/" + o.AppHealthPath;
            using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{o.AppPort}{path}"), cancellationToken).ConfigureAwait(false);
            return (int)response.StatusCode is >= 200 and < 400;
        }
        catch (Exception ex) when (ex is SocketException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();
}
