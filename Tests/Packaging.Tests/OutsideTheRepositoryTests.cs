using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Xml.Linq;
using Infrastructure.Testing;
using Xunit.Abstractions;

namespace Infrastructure.Packaging.Tests;

/// <summary>
/// The three ways in from outside the repository (docs/packages.md): the packed libraries referenced by a brand-new
/// project, the <c>infra-service</c> template, and the servers published self-contained. Slow (real packs, restores,
/// builds and publishes), so one class packs once and the tests run one after another.
/// </summary>
public sealed class OutsideTheRepositoryTests(PackedArtifacts packed, ITestOutputHelper output) : IClassFixture<PackedArtifacts>
{
    private static readonly TimeSpan Eventually = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Packages_EachLibraryAndTheTemplate_CarryIdVersionLicenseRepositoryReadmeAndDocs()
    {
        output.WriteLine($"pack: {packed.PackTime.TotalSeconds:F0} s");
        foreach (var id in PackedArtifacts.LibraryIds)
        {
            using var zip = ZipFile.OpenRead(packed.PackagePath(id));
            var meta = Nuspec(zip);
            Assert.Equal(id, Meta(meta, "id"));
            Assert.Equal(packed.Version, Meta(meta, "version"));
            Assert.False(string.IsNullOrWhiteSpace(Meta(meta, "description")), id + " has no description");
            var license = meta.Elements().Single(e => e.Name.LocalName == "license");
            Assert.Equal(("expression", "MIT"), ((string?)license.Attribute("type"), license.Value));
            Assert.False(string.IsNullOrWhiteSpace((string?)meta.Elements().Single(e => e.Name.LocalName == "repository").Attribute("url")));
            Assert.Equal("README.md", Meta(meta, "readme"));
            Assert.Contains(id, new StreamReader(zip.GetEntry("README.md")!.Open()).ReadToEnd(), StringComparison.Ordinal);
            // The XML docs travel next to the assembly, so IntelliSense shows the summaries to a consumer.
            var dll = Assert.Single(zip.Entries, e => e.FullName.StartsWith("lib/net10.0/", StringComparison.Ordinal) && e.Name.EndsWith(".dll", StringComparison.Ordinal));
            Assert.NotNull(zip.GetEntry(dll.FullName[..^4] + ".xml"));
        }

        // `build.ps1 pack` gives no suffix: while a dependency is a prerelease, its default version must be one too, or
        // NuGet refuses the pack (NU5104, an error here).
        using (var serviceDefaults = ZipFile.OpenRead(packed.PackagePath("Infrastructure.ServiceDefaults")))
        {
            var prereleaseDependencies = Nuspec(serviceDefaults).Descendants().Where(e => e.Name.LocalName == "dependency")
                .Select(e => (string?)e.Attribute("version") ?? "").Where(v => v.Contains('-', StringComparison.Ordinal)).ToList();
            var defaultVersion = (await Cli(RepoPaths.Root, "msbuild", Path.Combine(RepoPaths.Root, "ServiceDefaults", "ServiceDefaults.csproj"),
                "-getProperty:PackageVersion", "-p:Configuration=Release", "-nologo")).Trim();
            output.WriteLine($"default version {defaultVersion}; prerelease dependencies: {string.Join(", ", prereleaseDependencies)}");
            Assert.True(prereleaseDependencies.Count == 0 || defaultVersion.Contains('-', StringComparison.Ordinal),
                $"the default version {defaultVersion} is stable but ServiceDefaults depends on {string.Join(", ", prereleaseDependencies)}");
        }

        using var template = ZipFile.OpenRead(packed.PackagePath(PackedArtifacts.TemplateId));
        var templateMeta = Nuspec(template);
        Assert.Equal("Template", (string?)templateMeta.Descendants().Single(e => e.Name.LocalName == "packageType").Attribute("name"));
        using var templateJson = JsonDocument.Parse(template.GetEntry("content/infra-service/.template.config/template.json")!.Open());
        Assert.Equal("infra-service", templateJson.RootElement.GetProperty("shortName").GetString());
        // The generated solution pins the very packages of this pack.
        var versions = new StreamReader(template.GetEntry("content/infra-service/Directory.Packages.props")!.Open()).ReadToEnd();
        Assert.Contains($"<InfrastructureVersion>{packed.Version}</InfrastructureVersion>", versions, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Packages_NewWebProjectOutsideTheRepository_RegistersLoadsConfigReloadsItAndExportsTraces()
    {
        var timer = Stopwatch.StartNew();
        var dir = Path.Combine(packed.Work, "Consumer");
        await Cli(packed.Work, "new", "web", "-n", "Consumer", "-o", dir, "--no-restore");
        foreach (var id in PackedArtifacts.LibraryIds)
        {
            await Cli(dir, "add", "Consumer.csproj", "package", id, "--version", packed.Version, "--no-restore");
        }
        Assert.DoesNotContain("ProjectReference", await File.ReadAllTextAsync(Path.Combine(dir, "Consumer.csproj")), StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(dir, "Program.cs"), """
            using Infrastructure.Config.Client;
            using Infrastructure.Discovery.Client;
            using Infrastructure.ServiceDefaults;
            using Infrastructure.ServiceDefaults.Lifetime;
            using Microsoft.Extensions.Options;

            var builder = WebApplication.CreateBuilder(args);
            builder.AddConfigServer();
            builder.AddServiceDefaults();
            builder.AddDiscoveryClient();
            builder.Services.Configure<Greeting>(builder.Configuration.GetSection("greeting"));

            var app = builder.Build();
            app.MapDefaultEndpoints();
            app.MapGet("/greeting", (IOptionsMonitor<Greeting> greeting) => greeting.CurrentValue.Message);
            return app.RunServer();

            sealed class Greeting
            {
                public string Message { get; set; } = "";
            }
            """);
        await Cli(dir, "build", "-c", "Release", "-nologo");
        output.WriteLine($"new + add package + build: {timer.Elapsed.TotalSeconds:F0} s");
        // The reference resolved to this run's package, not to a project or an older package of the same id.
        var assets = await File.ReadAllTextAsync(Path.Combine(dir, "obj", "project.assets.json"));
        Assert.Contains($"\"Infrastructure.ServiceDefaults/{packed.Version}\"", assets, StringComparison.Ordinal);

        var repo = ConfigRepository("consumer.yml", "greeting:\n  message: from config server v1\n");
        await using var discovery = await StartDiscoveryAsync();
        await using var config = await StartConfigAsync(repo);
        await using var zipkin = await ZipkinCollector.StartAsync();
        await using var service = await ServerProcess.StartProgramAsync(
            "dotnet", dir, [Path.Combine(dir, "bin", "Release", "net10.0", "Consumer.dll")], environment: new Dictionary<string, string?>
            {
                ["Spring__Application__Name"] = "consumer",
                ["Spring__Cloud__Config__Uri"] = config.BaseUri.ToString(),
                ["Spring__Cloud__Config__CacheDirectory"] = Path.Combine(packed.Root, "consumer-config-cache"),
                // Reloads must come from the server's refresh events, not from a poll.
                ["Spring__Cloud__Config__PollInterval"] = "0",
                ["Eureka__Client__ServiceUrl"] = discovery.BaseUri + "eureka/",
                ["Tracing__Zipkin__Endpoint"] = zipkin.Endpoint.ToString(),
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            });
        using var http = new HttpClient { BaseAddress = service.BaseUri, Timeout = TimeSpan.FromSeconds(10) };

        Assert.Equal("UP", await RegisteredStatusAsync(discovery, "CONSUMER"));
        Assert.Equal("from config server v1", await http.GetStringAsync(new Uri("/greeting", UriKind.Relative)));

        await File.WriteAllTextAsync(Path.Combine(repo, "consumer.yml"), "greeting:\n  message: from config server v2\n");
        Assert.Equal("from config server v2", await EventuallyAsync(() => http.GetStringAsync(new Uri("/greeting", UriKind.Relative)), v => v == "from config server v2"));

        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        using (var traced = new HttpRequestMessage(HttpMethod.Get, new Uri("/greeting", UriKind.Relative)))
        {
            traced.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            (await http.SendAsync(traced)).EnsureSuccessStatusCode();
        }
        var span = Assert.Single(await zipkin.WaitForTraceAsync(traceId, 1), s => s.GetProperty("kind").GetString() == "SERVER");
        Assert.Equal("consumer", span.GetProperty("localEndpoint").GetProperty("serviceName").GetString());
        Assert.Equal("00f067aa0ba902b7", span.GetProperty("parentId").GetString());
        output.WriteLine($"whole test: {timer.Elapsed.TotalSeconds:F0} s");
    }

    [Fact]
    public async Task Template_InfraService_BuildsPassesItsTestsAndServesScopedTokensAgainstTheLab()
    {
        var timer = Stopwatch.StartNew();
        // A private template hive: installing leaves the machine's own `dotnet new` list alone.
        var hive = Path.Combine(packed.Root, "template-hive");
        var installed = await Cli(packed.Work, "new", "install", packed.PackagePath(PackedArtifacts.TemplateId), "--debug:custom-hive", hive);
        Assert.Contains("infra-service", installed, StringComparison.Ordinal);
        var dir = Path.Combine(packed.Work, "Payments");
        await Cli(packed.Work, "new", "infra-service", "-n", "Payments", "-o", dir, "--debug:custom-hive", hive);
        Assert.True(File.Exists(Path.Combine(dir, "src", "Payments", "Payments.csproj")));
        Assert.True(File.Exists(Path.Combine(dir, "tests", "Payments.Tests", "Payments.Tests.csproj")));

        var tested = await Cli(dir, "test", "Payments.slnx", "-c", "Release", "-nologo");
        Assert.Contains("Passed!", tested, StringComparison.Ordinal);
        output.WriteLine($"install + new + build + test: {timer.Elapsed.TotalSeconds:F0} s");

        var repo = ConfigRepository("payments.yml", "greeting:\n  message: payments configured by Config.Server\n");
        await using var discovery = await StartDiscoveryAsync();
        await using var config = await StartConfigAsync(repo);
        // The real Auth.Server, configured the IdentityServer4 way from environment variables, as an operator would add
        // the new service: its API resource and scope, and a client allowed to call it (plus one for another API).
        await using var auth = await ServerProcess.StartAsync("Auth.Server", environment: new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Auth__SigningKeys__Path"] = Path.Combine(packed.Root, "auth-keys"),
            ["Auth__ApiScopes__0__Name"] = "payments.read",
            ["Auth__ApiScopes__1__Name"] = "orders.read",
            ["Auth__ApiResources__0__Name"] = "payments",
            ["Auth__ApiResources__0__Scopes__0"] = "payments.read",
            ["Auth__ApiResources__1__Name"] = "orders",
            ["Auth__ApiResources__1__Scopes__0"] = "orders.read",
            ["Auth__Clients__0__ClientId"] = "payments-caller",
            // Outside Development a secret is stored as IdentityServer4's "secret".Sha256().
            ["Auth__Clients__0__ClientSecrets__0__Value"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("payments-caller-secret"u8)),
            ["Auth__Clients__0__AllowedGrantTypes__0"] = "client_credentials",
            ["Auth__Clients__0__AllowedScopes__0"] = "payments.read",
            ["Auth__Clients__0__AllowedScopes__1"] = "orders.read",
        });
        var app = Path.Combine(dir, "src", "Payments");
        await using var service = await ServerProcess.StartProgramAsync(
            "dotnet", app, [Path.Combine(app, "bin", "Release", "net10.0", "Payments.dll")], environment: new Dictionary<string, string?>
            {
                ["Spring__Cloud__Config__Uri"] = config.BaseUri.ToString(),
                ["Spring__Cloud__Config__CacheDirectory"] = Path.Combine(packed.Root, "payments-config-cache"),
                ["Eureka__Client__ServiceUrl"] = discovery.BaseUri + "eureka/",
                ["Auth__Authority"] = auth.BaseUri.ToString().TrimEnd('/'),
            });
        using var http = new HttpClient { BaseAddress = service.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var authHttp = new HttpClient { BaseAddress = auth.BaseUri, Timeout = TimeSpan.FromSeconds(10) };

        Assert.Equal("UP", await RegisteredStatusAsync(discovery, "PAYMENTS"));
        var greeting = new Uri("/api/greeting", UriKind.Relative);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(greeting)).StatusCode);
        // Auth.Server's aud is the API resource: a token for another API is refused whatever its scope.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, greeting, await TokenAsync(authHttp, "orders.read"))).StatusCode);
        using var ok = await SendAsync(http, greeting, await TokenAsync(authHttp, "payments.read"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var body = JsonDocument.Parse(await ok.Content.ReadAsStringAsync());
        Assert.Equal("payments configured by Config.Server", body.RootElement.GetProperty("message").GetString());
        output.WriteLine($"whole test: {timer.Elapsed.TotalSeconds:F0} s");
    }

    [Fact]
    public async Task Publish_DiscoveryServerAndGateway_SelfContainedExecutablesRunWithoutTheSdkAndRouteThroughTheRegistry()
    {
        var timer = Stopwatch.StartNew();
        var published = new Dictionary<string, string>();
        foreach (var server in new[] { "Discovery.Server", "Gateway" })
        {
            var outDir = Path.Combine(packed.Root, "publish", "linux-x64", server);
            // The same command as `build.ps1 publish`, for one runtime.
            await Cli(RepoPaths.Root, "publish", Path.Combine(RepoPaths.Root, server, server + ".csproj"), "-c", "Release", "-nologo",
                "-r", "linux-x64", "--self-contained", "-p:ArtifactsPath=" + packed.BuildArtifacts, "-o", outDir);
            published[server] = outDir;
            // Its default settings travel with it.
            Assert.True(File.Exists(Path.Combine(outDir, "appsettings.json")), server + " was published without appsettings.json");
            // Self-contained: the runtime is in the folder and the runtimeconfig names no framework to look for.
            Assert.True(File.Exists(Path.Combine(outDir, "libcoreclr.so")), server + " carries no runtime");
            using var runtimeConfig = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, server + ".runtimeconfig.json")));
            Assert.True(runtimeConfig.RootElement.GetProperty("runtimeOptions").TryGetProperty("includedFrameworks", out _), server + " is framework-dependent");
        }
        output.WriteLine($"publish x2: {timer.Elapsed.TotalSeconds:F0} s");

        // No SDK and no shared runtime to fall back on: a framework-dependent app would not start like this.
        var noDotnet = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ROOT"] = Path.Combine(packed.Root, "no-dotnet-here"),
            ["PATH"] = "/usr/local/sbin:/usr/sbin:/sbin:/bin",
        };
        await using var discovery = await ServerProcess.StartProgramAsync(
            Path.Combine(published["Discovery.Server"], "Discovery.Server"), published["Discovery.Server"],
            environment: new Dictionary<string, string?>(noDotnet) { ["Eureka__Server__ResponseCacheUpdateIntervalMs"] = "500" });
        await using var gateway = await ServerProcess.StartProgramAsync(
            Path.Combine(published["Gateway"], "Gateway"), published["Gateway"],
            environment: new Dictionary<string, string?>(noDotnet)
            {
                ["Spring__Application__Name"] = "gateway",
                ["Eureka__Client__ServiceUrl"] = discovery.BaseUri + "eureka/",
                ["Eureka__Client__RegistryFetchIntervalSeconds"] = "1",
                // A route to the gateway's own instance, found in the published registry: both binaries speak Eureka.
                ["Gateway__Routes__0__Id"] = "self-through-registry",
                ["Gateway__Routes__0__Uri"] = "lb://gateway",
                ["Gateway__Routes__0__Predicates__0"] = "Path=/via-registry/**",
                ["Gateway__Routes__0__Filters__0"] = "StripPrefix=1",
            });
        Assert.Equal("UP", await RegisteredStatusAsync(discovery, "GATEWAY"));
        using var http = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        var status = await EventuallyAsync(
            async () => (await http.GetAsync(new Uri("/via-registry/actuator/health", UriKind.Relative))).StatusCode,
            s => s == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, status);
        output.WriteLine($"whole test: {timer.Elapsed.TotalSeconds:F0} s");
    }

    private async Task<string> Cli(string workingDirectory, params string[] args)
    {
        var sw = Stopwatch.StartNew();
        var text = await DotnetCli.RunCheckedAsync(workingDirectory, PackedArtifacts.StepTimeout, args);
        output.WriteLine($"dotnet {args[0]} {args[1]}: {sw.Elapsed.TotalSeconds:F0} s");
        return text;
    }

    private string ConfigRepository(string file, string yaml)
    {
        var repo = Path.Combine(packed.Root, "config-repo-" + Path.GetFileNameWithoutExtension(file));
        Directory.CreateDirectory(repo);
        File.WriteAllText(Path.Combine(repo, file), yaml);
        return repo;
    }

    private static Task<ServerProcess> StartDiscoveryAsync() => ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
    {
        // Fresh reads instead of Eureka's 30 s response cache.
        ["Eureka__Server__ResponseCacheUpdateIntervalMs"] = "500",
    });

    private static Task<ServerProcess> StartConfigAsync(string repo) => ServerProcess.StartAsync("Config.Server", environment: new Dictionary<string, string?>
    {
        ["ConfigServer__Native__SearchLocations"] = repo,
    });

    // The instance's status as the registry serves it (GET /eureka/apps/{APP}), once it is there.
    private static async Task<string?> RegisteredStatusAsync(ServerProcess discovery, string app)
    {
        using var http = new HttpClient { BaseAddress = discovery.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await EventuallyAsync(async () =>
        {
            using var r = await http.GetAsync(new Uri("eureka/apps/" + app, UriKind.Relative));
            if (!r.IsSuccessStatusCode)
            {
                return null;
            }
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            var instance = doc.RootElement.GetProperty("application").GetProperty("instance");
            return (instance.ValueKind == JsonValueKind.Array ? instance[0] : instance).GetProperty("status").GetString();
        }, s => s == "UP");
    }

    // A client_credentials token from the real Auth.Server.
    private static async Task<string> TokenAsync(HttpClient auth, string scope)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("connect/token", UriKind.Relative))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = scope }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("payments-caller:payments-caller-secret"u8.ToArray()));
        using var r = await auth.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"token for {scope}: {(int)r.StatusCode} {text}");
        using var body = JsonDocument.Parse(text);
        return body.RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, Uri path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var sw = Stopwatch.StartNew();
        T value = default!;
        while (sw.Elapsed < Eventually)
        {
            try
            {
                value = await read();
                if (done(value))
                {
                    return value;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        return value;
    }

    private static XElement Nuspec(ZipArchive zip)
    {
        var entry = Assert.Single(zip.Entries, e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string? Meta(XElement metadata, string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
}
