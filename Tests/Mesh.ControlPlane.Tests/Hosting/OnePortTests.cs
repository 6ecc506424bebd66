using System.Diagnostics;
using System.Net;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.ControlPlane.Tests.Support;

namespace Infrastructure.Mesh.ControlPlane.Tests.Hosting;

public sealed class OnePortTests
{
    [Fact]
    public async Task Http11AndHttp2PriorKnowledge_SamePort()
    {
        await using var host = new ControlPlaneHost();
        using var http1 = host.Http1();
        using var http2 = new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = host.BaseUri,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var one = await http1.GetAsync("/debug/configz");
        using var two = await http2.GetAsync("/actuator/health");

        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(HttpVersion.Version11, one.Version);
        Assert.Equal(HttpStatusCode.OK, two.StatusCode);
        Assert.Equal(HttpVersion.Version20, two.Version);

        // And gRPC on the same port.
        using var channel = host.Channel();
        await using var proxy = new ProxyStream(channel, "a", "a-1");
        await proxy.SubscribeAsync(ResourceTypes.VirtualService);
        Assert.Empty((await proxy.NextAsync()).Resources);
    }

    [Fact]
    public async Task Curl_BothProtocols()
    {
        await using var host = new ControlPlaneHost();
        host.StartServer();
        foreach (var (flag, version) in new[] { ("--http1.1", "1.1"), ("--http2-prior-knowledge", "2") })
        {
            string output;
            try
            {
                output = await RunCurlAsync(flag, new Uri(host.BaseUri, "/debug/syncz"));
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return; // no curl on this machine: the HttpClient test above covers the protocols
            }
            Assert.Equal($"200 {version}", output.Trim());
        }
    }

    private static async Task<string> RunCurlAsync(string flag, Uri url)
    {
        var start = new ProcessStartInfo("curl", ["-s", "-m", "10", flag, "-o", "/dev/null", "-w", "%{http_code} %{http_version}", url.ToString()])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return output;
    }
}
