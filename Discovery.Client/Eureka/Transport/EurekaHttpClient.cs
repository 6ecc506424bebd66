using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Infrastructure.Eureka.Protocol;

namespace Infrastructure.Discovery.Client.Eureka.Transport;

/// <summary>
/// The Eureka REST calls this client makes, against a list of servers with failover: a call goes to the
/// server that answered last; on a connection error, timeout or 5xx it moves on to the next one, as
/// Eureka's RetryableEurekaHttpClient does. Waiting and retrying later is the caller's business.
/// A server URL with user info (<c>http://user:password@host:8761/eureka/</c>, as Spring's <c>defaultZone</c>) sends
/// those credentials as HTTP Basic on every call; the URL is requested, logged and reported without them.
/// </summary>
internal sealed class EurekaHttpClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly IReadOnlyList<Uri> _servers;
    private readonly IReadOnlyList<AuthenticationHeaderValue?> _credentials;
    private readonly ILogger<EurekaHttpClient> _logger;
    private int _current;

    public EurekaHttpClient(IOptions<EurekaClientOptions> options, ILogger<EurekaHttpClient> logger)
    {
        var o = options.Value;
        // HttpClient ignores user info in a URL; it becomes a header here and is dropped from the URL itself.
        _servers = o.ServiceUrls.Select(ServiceUrlCredentials.WithoutUserInfo).ToList();
        _credentials = o.ServiceUrls.Select(ServiceUrlCredentials.FromUserInfo).ToList();
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(o.EurekaServerConnectTimeoutSeconds),
            AutomaticDecompression = DecompressionMethods.All,
            // Servers behind a load balancer or DNS change: do not pin a connection forever.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = TimeSpan.FromSeconds(o.EurekaServerReadTimeoutSeconds),
        };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    /// <summary>The server the next call goes to first.</summary>
    public Uri CurrentServer => _servers[Volatile.Read(ref _current) % _servers.Count];

    /// <summary><c>POST apps/{APP}</c>; true on 2xx (Eureka answers 204).</summary>
    public async Task<HttpStatusCode> RegisterAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        var body = EurekaJsonWriter.Registration(instance);
        using var response = await SendAsync(server =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return new HttpRequestMessage(HttpMethod.Post, new Uri(server, "apps/" + Segment(instance.App))) { Content = content };
        }, cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
    }

    /// <summary><c>PUT apps/{APP}/{id}?status=..&amp;lastDirtyTimestamp=..</c>; 200, or 404 when the server does not know the instance.</summary>
    public async Task<HttpStatusCode> RenewAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        var path = $"apps/{Segment(instance.App)}/{Segment(instance.InstanceId)}?status={instance.Status}&lastDirtyTimestamp={instance.LastDirtyTimestamp.ToString(CultureInfo.InvariantCulture)}";
        using var response = await SendAsync(server => new HttpRequestMessage(HttpMethod.Put, new Uri(server, path)), cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
    }

    /// <summary><c>DELETE apps/{APP}/{id}</c>.</summary>
    public async Task<HttpStatusCode> CancelAsync(InstanceInfo instance, CancellationToken cancellationToken)
    {
        var path = $"apps/{Segment(instance.App)}/{Segment(instance.InstanceId)}";
        using var response = await SendAsync(server => new HttpRequestMessage(HttpMethod.Delete, new Uri(server, path)), cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
    }

    /// <summary><c>GET apps/</c>: the full registry.</summary>
    public Task<ApplicationsDocument> GetApplicationsAsync(CancellationToken cancellationToken) => GetDocumentAsync("apps/", cancellationToken);

    /// <summary><c>GET apps/delta</c>: what changed recently.</summary>
    public Task<ApplicationsDocument> GetDeltaAsync(CancellationToken cancellationToken) => GetDocumentAsync("apps/delta", cancellationToken);

    private async Task<ApplicationsDocument> GetDocumentAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(server => new HttpRequestMessage(HttpMethod.Get, new Uri(server, path)), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new EurekaServerException($"GET {path} answered {(int)response.StatusCode}", response.StatusCode);
        }
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return ApplicationsReader.Parse(bytes);
    }

    /// <summary>Sends to the current server, failing over to the next on transport errors and 5xx answers.</summary>
    /// <exception cref="EurekaServerException">Every server failed.</exception>
    private async Task<HttpResponseMessage> SendAsync(Func<Uri, HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        var start = Volatile.Read(ref _current);
        Exception? last = null;
        for (var attempt = 0; attempt < _servers.Count; attempt++)
        {
            var index = (start + attempt) % _servers.Count;
            var server = _servers[index];
            using var request = build(server);
            request.Headers.Authorization = _credentials[index];
            try
            {
                var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode >= 500 && attempt < _servers.Count - 1)
                {
                    Log.ServerFailed(_logger, request.Method, server, $"status {(int)response.StatusCode}");
                    last = new EurekaServerException($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}", response.StatusCode);
                    response.Dispose();
                    continue;
                }
                Volatile.Write(ref _current, index);
                return response;
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                Log.ServerFailed(_logger, request.Method, server, ex.Message);
                last = ex;
            }
        }
        throw new EurekaServerException($"no Eureka server answered ({string.Join(", ", _servers)}): {last?.Message}", null, last);
    }

    // Instance ids travel raw ("host:app:8080"), as Java clients send them; everything else is escaped.
    private static string Segment(string value) => Uri.EscapeDataString(value).Replace("%3A", ":", StringComparison.Ordinal);

    public void Dispose() => _http.Dispose();
}

/// <summary>A Eureka server could not be reached or answered with an error.</summary>
internal sealed class EurekaServerException(string message, HttpStatusCode? status, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The HTTP status when the server answered; null on transport errors.</summary>
    public HttpStatusCode? Status { get; } = status;
}
