using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Infrastructure.Discovery.Client.Tests.Fakes;
using Infrastructure.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Client.Tests.Eureka;

/// <summary>Credentials in the service URL (<c>http://user:password@host:8761/eureka/</c>), as Spring's defaultZone carries them.</summary>
public sealed class ServiceUrlCredentialsTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);
    private const string User = "eu@reka";
    private const string Password = "p@ss:w0rd/Secret!";

    private static string WithCredentials(Uri baseUri) =>
        $"http://{Uri.EscapeDataString(User)}:{Uri.EscapeDataString(Password)}@{baseUri.Authority}/eureka/";

    private static string ExpectedHeader => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password));

    [Fact]
    public async Task UserInfo_SentAsBasicOnRegisterRenewFetchAndCancel()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        await using var app = TestApps.Create(TestApps.EurekaConfig(WithCredentials(eureka.BaseUri)));
        await app.StartAsync().WaitAsync(Bounded);

        await TestApps.EventuallyAsync(() => eureka.Find("PUT", "/eureka/apps/CATALOG/").Count > 0 && eureka.Find("GET", "/eureka/apps").Count > 1,
            "a registration, a renew and fetches");
        await app.StopAsync();

        Assert.NotEmpty(eureka.Find("DELETE", "/eureka/apps/CATALOG/"));
        Assert.All(eureka.Requests, r => Assert.Equal(ExpectedHeader, r.Authorization));
    }

    [Fact]
    public async Task UserInfo_NeverInLogsOrHealth_EvenWhenAServerFails()
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        var logs = new CapturingLoggerProvider();
        // The first server is down, so failover logs its URL; the second answers.
        var dead = new Uri($"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}/");
        var config = TestApps.EurekaConfig($"{WithCredentials(dead)},{WithCredentials(eureka.BaseUri)}");
        await using var app = TestApps.Create(config, configure: b =>
        {
            b.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
            b.Services.AddHealthChecks();
        });
        await app.StartAsync().WaitAsync(Bounded);
        await TestApps.EventuallyAsync(() => eureka.Find("POST", "/eureka/apps/CATALOG").Count > 0, "a registration after failover");
        await TestApps.EventuallyAsync(() => logs.Lines.Any(l => l.Contains("Registered", StringComparison.Ordinal)), "the registration logged");
        var health = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await app.StopAsync();

        var text = string.Join("\n", logs.Lines) + "\n" + string.Join("\n", health.Entries["eureka"].Data.Values);
        Assert.Contains($"http://{dead.Authority}/eureka/", text, StringComparison.Ordinal);
        Assert.Contains($"http://{eureka.BaseUri.Authority}/eureka/", text, StringComparison.Ordinal);
        foreach (var secret in (string[])[Password, Uri.EscapeDataString(Password), ExpectedHeader[6..], "p@ss"])
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"'{secret}' appears in:\n{text}");
        }
    }

    [Fact]
    public async Task InvalidUrlWithUserInfo_ValidationMessageHidesIt()
    {
        await using var app = TestApps.Create(TestApps.EurekaConfig($"http://127.0.0.1:1/eureka/, http://admin:{Password}@ bad host/eureka/"));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync().WaitAsync(Bounded));

        Assert.Contains("bad host/eureka/", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("w0rd", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RealServer_Secured_ClientWithCredentialsInDefaultZoneRegistersFetchesAndDeregisters()
    {
        const string password = "client-Secret-42";
        await using var server = await ServerProcess.StartAsync("Discovery.Server", environment: new Dictionary<string, string?>
        {
            ["Eureka__Server__ResponseCacheUpdateIntervalMs"] = "500",
            ["Eureka__Server__Security__Enabled"] = "true",
            ["Spring__Security__User__Name"] = "eureka",
            ["Spring__Security__User__Password"] = password,
        });
        var config = TestApps.EurekaConfig("ignored", "catalog");
        config.Remove("Eureka:Client:ServiceUrl");
        // Spring's own key, exactly as a Spring Cloud client of a secured Eureka is configured.
        config["Eureka:Client:ServiceUrl:DefaultZone"] = $"http://eureka:{password}@{server.BaseUri.Authority}/eureka/";
        await using var app = TestApps.Create(config);
        await app.StartAsync().WaitAsync(Bounded);
        var instances = app.Services.GetRequiredService<IServiceInstanceProvider>();

        // Fetching needs the credential too: reads are protected by default.
        await TestApps.EventuallyAsync(() => instances.GetInstances("catalog").Count == 1, "CATALOG registered and fetched from the secured registry", Bounded);
        var instancePath = $"/eureka/apps/CATALOG/127.0.0.1:catalog:{app.BoundPort().ToString(CultureInfo.InvariantCulture)}";
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("eureka:" + password)));
        using (var anonymous = new HttpClient { BaseAddress = server.BaseUri })
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync(instancePath)).StatusCode);
        }
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync(instancePath)).StatusCode);

        await app.StopAsync().WaitAsync(Bounded);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(instancePath)).StatusCode);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
