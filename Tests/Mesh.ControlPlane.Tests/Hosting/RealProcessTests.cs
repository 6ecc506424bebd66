using System.Net;
using Grpc.Net.Client;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.ControlPlane.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Mesh.ControlPlane.Tests.Hosting;

public sealed class RealProcessTests
{
    [Fact]
    public async Task Process_GrpcAndHttp11OnOnePort_StreamsEndOnGracefulStop()
    {
        var folder = TempFolder.Create("mesh-config");
        await File.WriteAllTextAsync(Path.Combine(folder, "reviews.yaml"), Yaml.ReviewsSplit(90, 10));
        await using var server = await ServerProcess.StartAsync("Mesh.ControlPlane",
            args: [$"--Mesh:ConfigPath={folder}", $"--Mesh:Ca:RootPath={TempFolder.Create("mesh-ca")}"]);

        using var channel = GrpcChannel.ForAddress(server.BaseUri, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { UseProxy = false } });
        await using var proxy = new ProxyStream(channel, "productpage", "pp-1");
        await proxy.SubscribeAsync(ResourceTypes.VirtualService);
        var push = await proxy.NextAsync();
        Assert.Equal(2, push.Resources[0].VirtualService.Http[0].Route.Count);
        await proxy.AckAsync(push);

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.BaseUri };
        var syncz = await Eventually.ReturnsAsync(() => http.GetStringAsync("/debug/syncz"), s => s.Contains("\"SYNCED\"", StringComparison.Ordinal), what: "SYNCED");
        Assert.Contains("productpage~pp-1", syncz, StringComparison.Ordinal);
        using var health = await http.GetAsync("/actuator/health");
        Assert.Equal(HttpVersion.Version11, health.Version);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        // SIGTERM: the open stream ends at once rather than holding the shutdown for its whole drain deadline.
        await server.StopGracefullyAsync(TimeSpan.FromSeconds(30));
        Assert.True(server.HasExited);
        await proxy.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("HTTP/2 is not enabled", server.Output, StringComparison.Ordinal);
    }
}
