using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Discovery.Client.Tests.Fakes;

/// <summary>Builds small web applications that use the discovery client, and polls for conditions.</summary>
internal static class TestApps
{
    /// <summary>Short intervals so the tests see several heartbeats and fetches in a few seconds.</summary>
    public static Dictionary<string, string?> EurekaConfig(string serviceUrl, string appName = "catalog") => new()
    {
        ["Eureka:Client:ServiceUrl"] = serviceUrl,
        ["Eureka:Client:RegistryFetchIntervalSeconds"] = "1",
        ["Eureka:Client:EurekaServerConnectTimeoutSeconds"] = "2",
        ["Eureka:Client:EurekaServerReadTimeoutSeconds"] = "10",
        ["Eureka:Instance:AppName"] = appName,
        ["Eureka:Instance:LeaseRenewalIntervalInSeconds"] = "1",
        ["Eureka:Instance:LeaseExpirationDurationInSeconds"] = "3",
    };

    /// <summary>A web application on 127.0.0.1 with a dynamic port, with <c>AddDiscoveryClient()</c>.</summary>
    public static WebApplication Create(IDictionary<string, string?> config, Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.AddDiscoveryClient();
        configure?.Invoke(builder);
        var app = builder.Build();
        map?.Invoke(app);
        return app;
    }

    /// <summary>The port Kestrel actually bound.</summary>
    public static int BoundPort(this WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

    /// <summary>Polls <paramref name="condition"/> until true; fails with <paramref name="what"/> after <paramref name="timeout"/> (default 30 s).</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > limit)
            {
                Assert.Fail($"timed out after {limit.TotalSeconds:0} s waiting for: {what}");
            }
            await Task.Delay(50);
        }
    }
}
