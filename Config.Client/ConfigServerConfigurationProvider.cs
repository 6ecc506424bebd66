using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Infrastructure.Config.Client;

/// <summary>
/// Loads <c>GET {uri}/{name}/{profile}[/{label}]</c> into configuration (<c>a.b[0].c</c> → <c>a:b:0:c</c>, most specific source winning),
/// with a dash-less alias for kebab-case keys (<c>page-size</c> also as <c>pagesize</c>, so it binds to <c>PageSize</c>),
/// then keeps it current: a Server-Sent Events subscription to <c>/monitor/events</c> (reconnecting with backoff) plus a periodic poll.
/// </summary>
internal sealed partial class ConfigServerConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly ConfigServerClientSettings _settings;
    private readonly ILogger _logger;
    private readonly ILoggerFactory? _ownedLoggerFactory;
    private readonly HttpClient _http;
    private readonly HttpClient _streamHttp;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private int _started;

    public ConfigServerConfigurationProvider(ConfigServerClientSettings settings, ILoggerFactory? loggerFactory)
    {
        _settings = settings;
        if (loggerFactory is null)
        {
            _ownedLoggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
            loggerFactory = _ownedLoggerFactory;
        }
        _logger = loggerFactory.CreateLogger("Infrastructure.Config.Client");
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromMilliseconds(settings.TimeoutMs) };
        _streamHttp = new HttpClient(new SocketsHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The server URI that answered last (null before any success).</summary>
    internal Uri? ActiveUri { get; private set; }

    /// <summary>Whether the refresh event stream is connected right now.</summary>
    internal bool Subscribed { get; private set; }

    /// <summary>The server URI of the current (or last) event stream.</summary>
    internal Uri? SubscribedUri { get; private set; }

    /// <summary>How many times the data changed after the first load.</summary>
    internal int ReloadCount { get; private set; }

    public override void Load()
    {
        try
        {
            Data = FetchWithRetryAsync(_stop.Token).GetAwaiter().GetResult();
            LogLoaded(_logger, _settings.Name, _settings.Profile, ActiveUri, Data.Count);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or ConfigServerException)
        {
            if (_settings.FailFast)
            {
                throw new InvalidOperationException(
                    $"Config server unavailable for {_settings.Name}/{_settings.Profile} at {string.Join(", ", _settings.Uris)} and Spring:Cloud:Config:FailFast is set: {e.Message}", e);
            }
            var cached = ReadCache();
            LogLoadFailed(_logger, string.Join(", ", _settings.Uris), e.Message, cached is null ? "no cached copy" : "using the cached copy");
            Data = cached ?? new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        }
        StartWatching();
    }

    private void StartWatching()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }
        if (_settings.WatchEnabled)
        {
            _ = Task.Run(() => WatchEventsAsync(_stop.Token));
        }
        if (_settings.PollIntervalSeconds > 0)
        {
            _ = Task.Run(() => PollAsync(_stop.Token));
        }
    }

    /// <summary>Fetches again and raises the reload token when anything changed; returns whether it did.</summary>
    internal async Task<bool> ReloadAsync(CancellationToken ct)
    {
        await _reloadGate.WaitAsync(ct);
        try
        {
            var fresh = await FetchOnceAsync(ct);
            if (SameData(fresh, Data))
            {
                return false;
            }
            Data = fresh;
            ReloadCount++;
            LogReloaded(_logger, _settings.Name, fresh.Count);
            OnReload();
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or ConfigServerException && !ct.IsCancellationRequested)
        {
            LogReloadFailed(_logger, e.Message);
            return false;
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    private async Task<IDictionary<string, string?>> FetchWithRetryAsync(CancellationToken ct)
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
    private async Task<IDictionary<string, string?>> FetchOnceAsync(CancellationToken ct)
    {
        Exception? last = null;
        foreach (var baseUri in _settings.Uris)
        {
            var path = Uri.EscapeDataString(_settings.Name) + "/" + Uri.EscapeDataString(_settings.Profile)
                + (_settings.Label is null ? "" : "/" + Uri.EscapeDataString(_settings.Label.Replace("/", "(_)", StringComparison.Ordinal)));
            using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, path));
            req.Headers.Accept.ParseAdd("application/json");
            Authorize(req, baseUri);
            try
            {
                using var resp = await _http.SendAsync(req, ct);
                if (!resp.IsSuccessStatusCode)
                {
                    throw new ConfigServerException($"{req.RequestUri} answered {(int)resp.StatusCode}");
                }
                var json = await resp.Content.ReadAsStringAsync(ct);
                var data = Flatten(json);
                ActiveUri = baseUri;
                WriteCache(json);
                return data;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ConfigServerException && !ct.IsCancellationRequested)
            {
                LogServerFailed(_logger, baseUri, e.Message);
                last = e;
            }
        }
        throw last ?? new ConfigServerException("no config server URI configured");
    }

    private void Authorize(HttpRequestMessage req, Uri baseUri)
    {
        if (!string.IsNullOrEmpty(_settings.Token))
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _settings.Token);
            return;
        }
        var user = _settings.Username;
        var password = _settings.Password;
        if (user is null && baseUri.UserInfo is { Length: > 0 } info)
        {
            var parts = info.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }
        if (user is not null)
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        }
    }

    /// <summary>Spring's property sources (most specific first) to .NET keys; the first source that has a key wins.</summary>
    internal static Dictionary<string, string?> Flatten(string environmentJson)
    {
        using var doc = JsonDocument.Parse(environmentJson);
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (!doc.RootElement.TryGetProperty("propertySources", out var sources) || sources.ValueKind != JsonValueKind.Array)
        {
            throw new ConfigServerException("response has no propertySources");
        }
        foreach (var source in sources.EnumerateArray())
        {
            if (!source.TryGetProperty("source", out var props) || props.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            foreach (var p in props.EnumerateObject())
            {
                data.TryAdd(ToConfigurationKey(p.Name), p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Null => "",
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => p.Value.GetRawText(),
                });
            }
        }
        // Spring's relaxed binding: page-size also binds to PageSize (the .NET binder ignores case, not dashes).
        foreach (var (key, value) in data.Where(kv => kv.Key.Contains('-', StringComparison.Ordinal)).ToList())
        {
            data.TryAdd(key.Replace("-", "", StringComparison.Ordinal), value);
        }
        return data;
    }

    /// <summary><c>a.b[0].c</c> → <c>a:b:0:c</c>.</summary>
    internal static string ToConfigurationKey(string springKey)
    {
        var sb = new StringBuilder(springKey.Length);
        foreach (var c in springKey)
        {
            switch (c)
            {
                case '.':
                case '[':
                    sb.Append(':');
                    break;
                case ']':
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    private static bool SameData(IDictionary<string, string?> a, IDictionary<string, string?> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private async Task WatchEventsAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        string? lastEventId = null;
        var reconnecting = false;
        // Start where the last fetch succeeded; after a failure try the next URI at once, and back off only once every
        // URI has failed in a row (a killed server must not keep the stream, and so refreshes, away until the next poll).
        var index = ActiveUri is { } active ? Math.Max(0, IndexOf(active)) : 0;
        var failuresInARow = 0;
        while (!ct.IsCancellationRequested)
        {
            var baseUri = _settings.Uris[index];
            try
            {
                var url = new Uri(baseUri, "monitor/events?application=" + Uri.EscapeDataString(_settings.Name) + "&profile=" + Uri.EscapeDataString(_settings.Profile));
                using var req = new HttpRequestMessage(HttpMethod.Get, url);
                req.Headers.Accept.ParseAdd("text/event-stream");
                if (lastEventId is not null)
                {
                    req.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
                }
                Authorize(req, baseUri);
                using var resp = await _streamHttp.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
                resp.EnsureSuccessStatusCode();
                using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync(ct));
                LogSubscribed(_logger, url);
                Subscribed = true;
                SubscribedUri = baseUri;
                backoff = TimeSpan.FromSeconds(1);
                failuresInARow = 0;
                if (reconnecting)
                {
                    // Events may have been missed while disconnected and the replay buffer is finite: check once.
                    await ReloadAsync(ct);
                }
                reconnecting = true;
                string? id = null, evt = null, data = null;
                while (!ct.IsCancellationRequested && await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (evt == "refresh" && data is not null && Concerns(data))
                        {
                            await ReloadAsync(ct);
                        }
                        lastEventId = id ?? lastEventId;
                        id = evt = data = null;
                    }
                    else if (line.StartsWith("id:", StringComparison.Ordinal)) { id = line[3..].Trim(); }
                    else if (line.StartsWith("event:", StringComparison.Ordinal)) { evt = line[6..].Trim(); }
                    else if (line.StartsWith("data:", StringComparison.Ordinal)) { data = (data is null ? "" : data + "\n") + line[5..].TrimStart(); }
                }
                // The server ended the stream (stopped, killed, restarting): move on as after a failure.
                failuresInARow++;
                if (!ct.IsCancellationRequested)
                {
                    LogStreamFailed(_logger, baseUri, "closed by the server", _settings.Uris[(index + 1) % _settings.Uris.Count],
                        failuresInARow < _settings.Uris.Count ? TimeSpan.Zero : backoff);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                failuresInARow++;
                var delay = failuresInARow < _settings.Uris.Count ? TimeSpan.Zero : backoff;
                LogStreamFailed(_logger, baseUri, e.Message, _settings.Uris[(index + 1) % _settings.Uris.Count], delay);
            }
            finally
            {
                Subscribed = false;
            }
            reconnecting = true;
            index = (index + 1) % _settings.Uris.Count;
            if (failuresInARow < _settings.Uris.Count)
            {
                continue;
            }
            try
            {
                await Task.Delay(backoff, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    private int IndexOf(Uri uri)
    {
        for (var i = 0; i < _settings.Uris.Count; i++)
        {
            if (_settings.Uris[i] == uri)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Whether an event's destinations (<c>name</c>, <c>name:profile</c>, <c>*</c>, <c>*:profile</c>) include this application.</summary>
    internal bool Concerns(string eventJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(eventJson);
            if (!doc.RootElement.TryGetProperty("destinations", out var ds) || ds.ValueKind != JsonValueKind.Array)
            {
                return true; // an event without destinations is for everyone
            }
            var profiles = _settings.Profiles;
            foreach (var d in ds.EnumerateArray().Select(x => x.GetString() ?? ""))
            {
                var colon = d.IndexOf(':', StringComparison.Ordinal);
                var name = colon < 0 ? d : d[..colon];
                var profile = colon < 0 ? null : d[(colon + 1)..];
                if ((name == "*" || string.Equals(name, _settings.Name, StringComparison.OrdinalIgnoreCase))
                    && (profile is null || profile == "**" || profiles.Contains(profile, StringComparer.Ordinal)))
                {
                    return true;
                }
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_settings.PollIntervalSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await ReloadAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private string? CachePath =>
        string.IsNullOrEmpty(_settings.CacheDirectory) ? null
        : Path.Combine(_settings.CacheDirectory, string.Join("_", new[] { _settings.Name, _settings.Profile, _settings.Label ?? "" }.Select(Sanitize)) + ".json");

    private static string Sanitize(string s) => string.Concat(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_'));

    private void WriteCache(string json)
    {
        if (CachePath is not { } path)
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var tmp = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
            File.WriteAllText(tmp, json);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogCacheFailed(_logger, path, e.Message);
        }
    }

    private Dictionary<string, string?>? ReadCache()
    {
        if (CachePath is not { } path || !File.Exists(path))
        {
            return null;
        }
        try
        {
            return Flatten(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or JsonException or ConfigServerException or UnauthorizedAccessException)
        {
            LogCacheFailed(_logger, path, e.Message);
            return null;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _http.Dispose();
        _streamHttp.Dispose();
        _ownedLoggerFactory?.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Loaded {Name}/{Profile} from {Uri}: {Count} keys")]
    private static partial void LogLoaded(ILogger logger, string name, string profile, Uri? uri, int count);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Config server {Uris} unavailable ({Error}); continuing with {Fallback}")]
    private static partial void LogLoadFailed(ILogger logger, string uris, string error, string fallback);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Configuration of {Name} reloaded: {Count} keys")]
    private static partial void LogReloaded(ILogger logger, string name, int count);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Reload failed: {Error}; keeping the current values")]
    private static partial void LogReloadFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Config server {Uri} failed: {Error}")]
    private static partial void LogServerFailed(ILogger logger, Uri uri, string error);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Subscribed to refresh events at {Uri}")]
    private static partial void LogSubscribed(ILogger logger, Uri uri);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Refresh event stream from {Uri} failed ({Error}); reconnecting to {Next} in {Delay}")]
    private static partial void LogStreamFailed(ILogger logger, Uri uri, string error, Uri next, TimeSpan delay);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Config cache {Path} not usable: {Error}")]
    private static partial void LogCacheFailed(ILogger logger, string path, string error);
}

/// <summary>The server answered, but not with a usable environment.</summary>
internal sealed class ConfigServerException(string message) : Exception(message);
