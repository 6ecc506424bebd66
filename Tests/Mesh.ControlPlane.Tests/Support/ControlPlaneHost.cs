using System.Text.Json.Nodes;
using Grpc.Net.Client;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Infrastructure.Mesh.ControlPlane.Tests.Support;

/// <summary>The control plane (its real Program) on real Kestrel at a free loopback port, with a temp resource folder and CA folder.</summary>
internal sealed class ControlPlaneHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public ControlPlaneHost(string? folder = null, string? caFolder = null, Dictionary<string, string?>? settings = null)
    {
        Folder = folder ?? TempFolder.Create("mesh-config");
        CaFolder = caFolder ?? TempFolder.Create("mesh-ca");
        Port = FreePort.Next();
        _settings = new Dictionary<string, string?>
        {
            ["Mesh:ConfigPath"] = Folder,
            ["Mesh:Ca:RootPath"] = CaFolder,
            ["Mesh:RescanInterval"] = "00:00:01",
            ["Mesh:ControlPlaneIdentifier"] = "test-istiod",
        };
        foreach (var (k, v) in settings ?? [])
        {
            _settings[k] = v;
        }
        UseKestrel();
    }

    public string Folder { get; }

    public string CaFolder { get; }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public HttpClient Http1()
    {
        StartServer();
        return new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public GrpcChannel Channel()
    {
        StartServer();
        return GrpcChannel.ForAddress(BaseUri, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { UseProxy = false } });
    }

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        using var http = Http1();
        return JsonNode.Parse(await http.GetStringAsync(path))!;
    }

    public void Write(string file, string text)
    {
        // Written aside and renamed, as editors and `kubectl`-style tools do, so the watcher never reads half a file.
        var path = Path.Combine(Folder, file);
        var temp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("urls", BaseUri.ToString().TrimEnd('/'));
        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(_settings));
    }
}

/// <summary>Temp folders for a test, removed at process exit (best effort).</summary>
internal static class TempFolder
{
    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>Waits for a condition, bounded.</summary>
internal static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = TimeSpan.FromSeconds(30);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        T last;
        do
        {
            last = await read();
            if (condition(last))
            {
                return last;
            }
            await Task.Delay(50);
        }
        while (clock.Elapsed < (timeout ?? deadline));
        throw new TimeoutException($"{what ?? "condition"} not met in time; last: {last}");
    }
}
