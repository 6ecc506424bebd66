using System.Diagnostics;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Infrastructure.Config.Client.Tests;

/// <summary>A sample service's options, bound from configuration served by Config.Server.</summary>
public sealed class CatalogOptions
{
    public int PageSize { get; set; }

    public string Currency { get; set; } = "";

    public List<string> Featured { get; set; } = [];

    public string Password { get; set; } = "";
}

public sealed class EndToEndTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _repo = Path.Combine(Path.GetTempPath(), "cfgclient-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "cfgcache-" + Guid.NewGuid().ToString("N")[..10]);

    private readonly ITestOutputHelper _output;

    public EndToEndTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_repo);
        File.WriteAllText(Path.Combine(_repo, "application.yml"), "catalog:\n  currency: EUR\n");
        File.WriteAllText(Path.Combine(_repo, "catalog.yml"), "catalog:\n  page-size: 20\n  featured: [grinder, kettle]\n  password: '{cipher}682bc583f4641835fa2db009355293665d2647dade3375c0ee201de2a49f7bda'\n");
        File.WriteAllText(Path.Combine(_repo, "catalog-development.yml"), "catalog:\n  page-size: 5\n");
    }

    public void Dispose()
    {
        foreach (var d in new[] { _repo, _cache })
        {
            try
            {
                Directory.Delete(d, true);
            }
            catch (IOException)
            {
            }
        }
    }

    private Task<ServerProcess> StartServerAsync() => ServerProcess.StartAsync("Config.Server", environment: new Dictionary<string, string?>
    {
        ["ConfigServer__Native__SearchLocations"] = _repo,
        ["ConfigServer__Encrypt__Key"] = "foo",
    });

    private WebApplication BuildService(string uris, Dictionary<string, string?>? extra = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ApplicationName = "Catalog.Service" });
        var settings = new Dictionary<string, string?>
        {
            ["Spring:Application:Name"] = "catalog",
            ["Spring:Cloud:Config:Uri"] = uris,
            ["Spring:Cloud:Config:CacheDirectory"] = _cache,
            ["Spring:Cloud:Config:PollInterval"] = "0",
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddConfigServer();
        builder.Services.Configure<CatalogOptions>(builder.Configuration.GetSection("catalog"));
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        return builder.Build();
    }

    private static async Task<T> EventuallyAsync<T>(Func<T> read, Func<T, bool> done)
    {
        var sw = Stopwatch.StartNew();
        var value = read();
        while (!done(value) && sw.Elapsed < Deadline)
        {
            await Task.Delay(20);
            value = read();
        }
        return value;
    }

    [Fact]
    public async Task AddConfigServer_FileEditedOnServer_OptionsMonitorSeesNewValueWithoutRestart()
    {
        await using var server = await StartServerAsync();
        await using var app = BuildService(server.BaseUri.ToString());
        await app.StartAsync();
        var monitor = app.Services.GetRequiredService<IOptionsMonitor<CatalogOptions>>();
        Assert.Equal(5, monitor.CurrentValue.PageSize);
        Assert.Equal("EUR", monitor.CurrentValue.Currency);
        Assert.Equal(["grinder", "kettle"], monitor.CurrentValue.Featured);
        Assert.Equal("mysecret", monitor.CurrentValue.Password);

        var changes = 0;
        using var sub = monitor.OnChange(_ => Interlocked.Increment(ref changes));
        // Edit once the event stream is connected, as an operator would some time after the service started.
        var provider = ((IConfigurationRoot)app.Configuration).Providers.OfType<ConfigServerConfigurationProvider>().Single();
        Assert.True(await EventuallyAsync(() => provider.Subscribed, s => s));
        var edited = Stopwatch.StartNew();
        File.WriteAllText(Path.Combine(_repo, "catalog-development.yml"), "catalog:\n  page-size: 7\n");
        var v = await EventuallyAsync(() => monitor.CurrentValue.PageSize, p => p == 7);
        Assert.Equal(7, v);
        // A measurement for the README, not an assertion: file edit → watcher (300 ms debounce) → SSE → fetch → IOptionsMonitor.
        _output.WriteLine($"edit-to-IOptionsMonitor: {edited.ElapsedMilliseconds} ms");
        Assert.True(changes >= 1);

        File.WriteAllText(Path.Combine(_repo, "application.yml"), "catalog:\n  currency: USD\n");
        Assert.Equal("USD", await EventuallyAsync(() => monitor.CurrentValue.Currency, c => c == "USD"));
        await app.StopAsync();
    }

    [Fact]
    public async Task AddConfigServer_FirstUriDown_FailsOverToSecond()
    {
        await using var server = await StartServerAsync();
        var dead = $"http://127.0.0.1:{FreePort.Next()}";
        await using var app = BuildService(dead + "," + server.BaseUri, new() { ["Spring:Cloud:Config:Watch:Enabled"] = "false" });
        Assert.Equal(5, app.Services.GetRequiredService<IOptions<CatalogOptions>>().Value.PageSize);
    }

    [Fact]
    public async Task AddConfigServer_ServerDownWithFailFast_Throws()
    {
        var dead = $"http://127.0.0.1:{FreePort.Next()}";
        var e = Assert.Throws<InvalidOperationException>(() => BuildService(dead, new()
        {
            ["Spring:Cloud:Config:FailFast"] = "true",
            ["Spring:Cloud:Config:Retry:MaxAttempts"] = "2",
            ["Spring:Cloud:Config:Retry:InitialInterval"] = "50",
            ["Spring:Cloud:Config:Watch:Enabled"] = "false",
        }));
        Assert.Contains("FailFast", e.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task AddConfigServer_ServerDownAfterEarlierFetch_UsesDiskCacheAndStarts()
    {
        await using (var server = await StartServerAsync())
        {
            await using var first = BuildService(server.BaseUri.ToString(), new() { ["Spring:Cloud:Config:Watch:Enabled"] = "false" });
            Assert.Equal(5, first.Services.GetRequiredService<IOptions<CatalogOptions>>().Value.PageSize);
        }
        var dead = $"http://127.0.0.1:{FreePort.Next()}";
        await using var app = BuildService(dead, new() { ["Spring:Cloud:Config:Watch:Enabled"] = "false" });
        Assert.Equal(5, app.Services.GetRequiredService<IOptions<CatalogOptions>>().Value.PageSize);
    }

    [Fact]
    public async Task AddConfigServer_ServerDownNoCache_StartsWithoutValues()
    {
        var dead = $"http://127.0.0.1:{FreePort.Next()}";
        await using var app = BuildService(dead, new() { ["Spring:Cloud:Config:Watch:Enabled"] = "false", ["Spring:Cloud:Config:CacheDirectory"] = "" });
        Assert.Equal(0, app.Services.GetRequiredService<IOptions<CatalogOptions>>().Value.PageSize);
    }

    [Theory]
    [InlineData("Username", "reader", "Basic cmVhZGVyOnBAc3M=")]
    [InlineData("Token", "eyJ.token.sig", "Bearer eyJ.token.sig")]
    public async Task AddConfigServer_Credentials_SentOnTheWire(string setting, string value, string expectedHeader)
    {
        string? seen = null;
        var stubBuilder = WebApplication.CreateSlimBuilder();
        var address = $"http://127.0.0.1:{FreePort.Next()}";
        stubBuilder.WebHost.UseUrls(address);
        await using var stub = stubBuilder.Build();
        stub.MapGet("/{app}/{profile}", (HttpContext ctx) =>
        {
            seen = ctx.Request.Headers.Authorization;
            return Results.Json(new { name = "catalog", profiles = new[] { "development" }, label = "master", version = (string?)null, state = (string?)null, propertySources = new[] { new { name = "stub", source = new Dictionary<string, object> { ["catalog.page-size"] = 9 } } } });
        });
        await stub.StartAsync();
        await using var app = BuildService(address, new()
        {
            ["Spring:Cloud:Config:" + setting] = value,
            ["Spring:Cloud:Config:Password"] = "p@ss",
            ["Spring:Cloud:Config:Watch:Enabled"] = "false",
            ["Spring:Cloud:Config:CacheDirectory"] = "",
        });
        Assert.Equal(9, app.Services.GetRequiredService<IOptions<CatalogOptions>>().Value.PageSize);
        Assert.Equal(expectedHeader, seen);
    }
}
