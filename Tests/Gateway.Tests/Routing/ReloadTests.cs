using System.Net;
using System.Text.Json;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests.Routing;

public sealed class ReloadTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gateway-reload-").FullName;
    private TestBackend _a = null!;
    private TestBackend _b = null!;

    public async Task InitializeAsync()
    {
        _a = await TestBackend.StartAsync("a");
        _b = await TestBackend.StartAsync("b");
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static string RoutesJson(string uri, string predicate = "Path=/reload/**") => JsonSerializer.Serialize(new
    {
        Gateway = new { Routes = new[] { new { Id = "reload", Uri = uri, Predicates = new[] { predicate } } } },
    });

    private static async Task WriteAsync(string path, string json)
    {
        // Write then rename, as editors and config tools do, so the watcher never reads half a file.
        var tmp = path + ".tmp";
        await File.WriteAllTextAsync(tmp, json);
        File.Move(tmp, path, overwrite: true);
    }

    private static async Task<string> BackendAsync(HttpClient client)
    {
        using var r = await client.GetAsync("/reload/x");
        return r.StatusCode == HttpStatusCode.OK ? (await EchoResponse.ReadAsync(r)).Backend : ((int)r.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task FileChange_RouteUri_FollowedWithoutDroppedRequests()
    {
        var file = Path.Combine(_dir, "routes.json");
        await WriteAsync(file, RoutesJson(_a.Url));
        await using var host = new GatewayHost([], jsonFile: file);
        using var client = host.NewClient();
        Assert.Equal("a", await BackendAsync(client));

        using var stop = new CancellationTokenSource();
        var failures = 0;
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var r = await client.GetAsync("/reload/x");
                if (r.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });

        await WriteAsync(file, RoutesJson(_b.Url));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await BackendAsync(client) != "b" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Equal("b", await BackendAsync(client));

        // A broken definition is rejected: the last good table keeps serving.
        await WriteAsync(file, RoutesJson(_a.Url, "Pth=/reload/**"));
        await Task.Delay(1500);
        Assert.Equal("b", await BackendAsync(client));
        stop.Cancel();
        await load;
        Assert.Equal(0, failures);
    }

    [Fact]
    public void Start_InvalidRoute_FailsWithMessageNamingIt()
    {
        var settings = new RouteConfig().Route("broken", _a.Url, ["Path=/x/**"], ["StripPrefix=abc"]).Settings;
        var ex = FailedStart.Of(() => new GatewayHost(settings), host => host.NewClient());
        Assert.Contains("route 'broken'", ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("StripPrefix", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DiscoveryLocator_Enabled_ServiceReachableByLowercaseIdAndFollowsRegistry()
    {
        var file = Path.Combine(_dir, "instances.json");
        await WriteAsync(file, JsonSerializer.Serialize(new
        {
            Spring = new { Cloud = new { Discovery = new { Client = new { Simple = new { Instances = new Dictionary<string, object>
            {
                ["CATALOG"] = new[] { new { Uri = _a.Url } },
            } } } } } },
        }));
        var settings = new Dictionary<string, string?> { ["Gateway:Discovery:Locator:Enabled"] = "true" };
        await using var host = new GatewayHost(settings, jsonFile: file);
        using var client = host.NewClient();
        using (var r = await client.GetAsync("/catalog/items?q=1"))
        {
            var echo = await EchoResponse.ReadAsync(r);
            Assert.Equal("a", echo.Backend);
            Assert.Equal("/items", echo.Path);
            Assert.Equal("?q=1", echo.Query);
        }
        using (var none = await client.GetAsync("/orders/x"))
        {
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }
        await WriteAsync(file, JsonSerializer.Serialize(new
        {
            Spring = new { Cloud = new { Discovery = new { Client = new { Simple = new { Instances = new Dictionary<string, object>
            {
                ["catalog"] = new[] { new { Uri = _a.Url } },
                ["orders"] = new[] { new { Uri = _b.Url } },
            } } } } } },
        }));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            using var r = await client.GetAsync("/orders/x");
            status = r.StatusCode;
            if (status == HttpStatusCode.OK)
            {
                Assert.Equal("b", (await EchoResponse.ReadAsync(r)).Backend);
                break;
            }
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
        using var routes = JsonDocument.Parse(await client.GetStringAsync("/actuator/gateway/routes"));
        Assert.Contains(routes.RootElement.EnumerateArray(), r => r.GetProperty("route_id").GetString() == "ReactiveCompositeDiscoveryClient_orders");
    }
}
