using Infrastructure.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Serilog;

namespace Infrastructure.Gateway.Tests.Support;

/// <summary>The Gateway (its real Program) on real Kestrel at a free loopback port, configured by a dictionary and optionally a reloadable JSON file.</summary>
internal sealed class GatewayHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly string _environment;
    private readonly string? _jsonFile;
    private readonly LogCapture? _logs;

    public GatewayHost(Dictionary<string, string?> settings, string environment = "Development", string? jsonFile = null, LogCapture? logs = null)
    {
        _settings = settings;
        _environment = environment;
        _jsonFile = jsonFile;
        _logs = logs;
        Port = FreePort.Next();
        // Real Kestrel, on the port given as the "urls" setting below. UseKestrel(port) would rewrite the server's addresses
        // after the app built its host, racing the app's own start (it threw "Addresses cannot be modified after the server
        // has started" when the app reached Run first).
        UseKestrel();
    }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    /// <summary>Starts the server (if needed) and returns a plain client: no redirects followed, no cookies kept.</summary>
    public HttpClient NewClient()
    {
        StartServer();
        return new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, UseProxy = false })
        {
            BaseAddress = BaseUri,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Starts the server (if needed) and returns a client speaking cleartext HTTP/2 with prior knowledge only.</summary>
    public HttpClient NewHttp2Client()
    {
        StartServer();
        return new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = BaseUri,
            DefaultRequestVersion = System.Net.HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        builder.UseSetting("urls", BaseUri.ToString().TrimEnd('/'));
        builder.ConfigureAppConfiguration(c =>
        {
            c.AddInMemoryCollection(_settings);
            if (_jsonFile is not null)
            {
                c.AddJsonFile(_jsonFile, optional: false, reloadOnChange: true);
            }
        });
        if (_logs is { } logs)
        {
            // After the gateway's own Serilog setup, so its ILoggerFactory is the one resolved.
            builder.ConfigureTestServices(services => services.AddSerilog((_, lc) => logs.Configure(lc), preserveStaticLogger: true));
        }
    }
}

/// <summary>Builds <c>Gateway:Routes:N:*</c> keys.</summary>
internal sealed class RouteConfig
{
    private int _next;

    public Dictionary<string, string?> Settings { get; } = new();

    public RouteConfig Route(string id, string uri, string[] predicates, string[]? filters = null, Dictionary<string, string>? metadata = null, int? order = null)
    {
        var p = $"Gateway:Routes:{_next++}:";
        Settings[p + "Id"] = id;
        Settings[p + "Uri"] = uri;
        for (var i = 0; i < predicates.Length; i++)
        {
            Settings[$"{p}Predicates:{i}"] = predicates[i];
        }
        for (var i = 0; i < (filters?.Length ?? 0); i++)
        {
            Settings[$"{p}Filters:{i}"] = filters![i];
        }
        foreach (var (k, v) in metadata ?? [])
        {
            Settings[$"{p}Metadata:{k}"] = v;
        }
        if (order is not null)
        {
            Settings[p + "Order"] = order.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return this;
    }

    public RouteConfig Instances(string serviceId, params string[] urls)
    {
        for (var i = 0; i < urls.Length; i++)
        {
            Settings[$"Spring:Cloud:Discovery:Client:Simple:Instances:{serviceId}:{i}:Uri"] = urls[i];
        }
        return this;
    }

    public RouteConfig Set(string key, string value)
    {
        Settings[key] = value;
        return this;
    }
}
