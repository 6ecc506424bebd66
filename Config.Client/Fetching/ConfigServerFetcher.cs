using Infrastructure.Config.Client.Keys;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Infrastructure.Config.Client.Fetching;

/// <summary>An environment as one server sent it: the server, its JSON (for the disk cache) and the flattened keys.</summary>
internal sealed record FetchedEnvironment(Uri Server, string Json, Dictionary<string, string?> Data);

/// <summary>
/// <c>GET {uri}/{name}/{profile}[/{label}]</c> over the configured URIs in order (failover), the first 200 winning, with
/// Spring's optional retry of the whole pass at start.
/// </summary>
internal sealed partial class ConfigServerFetcher : IDisposable
{
    private readonly ConfigServerClientSettings _settings;
    private readonly ILogger _logger;
    private readonly HttpClient _http;

    public ConfigServerFetcher(ConfigServerClientSettings settings, ILogger logger, HttpMessageHandler? handler = null)
    {
        _settings = settings;
        _logger = logger;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromMilliseconds(settings.TimeoutMs),
        };
    }

    /// <summary>The server URI that answered last (null before any success).</summary>
    public Uri? ActiveUri { get; private set; }

    /// <summary>One pass over the URIs, repeated with backoff when <c>Retry:Enabled</c> and more than one attempt is allowed.</summary>
    public async Task<FetchedEnvironment> FetchWithRetryAsync(CancellationToken ct)
    {
        if (!_settings.RetryEnabled || _settings.RetryMaxAttempts <= 1)
        {
            return await FetchOnceAsync(ct);
        }
        var pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = _settings.RetryMaxAttempts - 1,
            ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TaskCanceledException>().Handle<ConfigServerException>(),
            DelayGenerator = a => ValueTask.FromResult<TimeSpan?>(TimeSpan.FromMilliseconds(
                Math.Min(_settings.RetryMaxIntervalMs, _settings.RetryInitialIntervalMs * Math.Pow(_settings.RetryMultiplier, a.AttemptNumber)))),
        }).Build();
        return await pipeline.ExecuteAsync(async token => await FetchOnceAsync(token), ct);
    }

    /// <summary>One pass over the URIs in order; the first that answers 200 wins.</summary>
    public async Task<FetchedEnvironment> FetchOnceAsync(CancellationToken ct)
    {
        Exception? last = null;
        foreach (var baseUri in _settings.Uris)
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, EnvironmentPath(_settings)));
            req.Headers.Accept.ParseAdd("application/json");
            ServerCredentials.Apply(req, _settings, baseUri);
            try
            {
                using var resp = await _http.SendAsync(req, ct);
                if (!resp.IsSuccessStatusCode)
                {
                    throw new ConfigServerException($"{req.RequestUri} answered {(int)resp.StatusCode}");
                }
                var json = await resp.Content.ReadAsStringAsync(ct);
                var data = SpringKeyFlattener.Flatten(json);
                ActiveUri = baseUri;
                return new FetchedEnvironment(baseUri, json, data);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ConfigServerException && !ct.IsCancellationRequested)
            {
                LogServerFailed(_logger, baseUri, e.Message);
                last = e;
            }
        }
        throw last ?? new ConfigServerException("no config server URI configured");
    }

    /// <summary><c>{name}/{profile}[/{label}]</c>, percent-encoded, a <c>/</c> in the label sent as Spring's <c>(_)</c>.</summary>
    internal static string EnvironmentPath(ConfigServerClientSettings settings) =>
        Uri.EscapeDataString(settings.Name) + "/" + Uri.EscapeDataString(settings.Profile)
        + (settings.Label is null ? "" : "/" + Uri.EscapeDataString(settings.Label.Replace("/", "(_)", StringComparison.Ordinal)));

    public void Dispose() => _http.Dispose();

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Config server {Uri} failed: {Error}")]
    private static partial void LogServerFailed(ILogger logger, Uri uri, string error);
}
