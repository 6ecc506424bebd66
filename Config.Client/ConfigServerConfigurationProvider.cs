using System.Text.Json;
using Infrastructure.Config.Client.Cache;
using Infrastructure.Config.Client.Fetching;
using Infrastructure.Config.Client.Keys;
using Infrastructure.Config.Client.Refresh;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Config.Client;

/// <summary>
/// Loads <c>GET {uri}/{name}/{profile}[/{label}]</c> into configuration (<see cref="ConfigServerFetcher"/>, keys by
/// <see cref="SpringKeyFlattener"/>), falls back to the <see cref="DiskCache"/> when no server answers, then keeps it
/// current: the server's refresh events (<see cref="RefreshEventStream"/>) plus a periodic poll (<see cref="Polling"/>).
/// </summary>
internal sealed partial class ConfigServerConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly ConfigServerClientSettings _settings;
    private readonly ILogger _logger;
    private readonly ILoggerFactory? _ownedLoggerFactory;
    private readonly ConfigServerFetcher _fetcher;
    private readonly DiskCache _cache;
    private readonly RefreshEventStream _events;
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
        _fetcher = new ConfigServerFetcher(settings, _logger);
        _cache = new DiskCache(settings, _logger);
        _events = new RefreshEventStream(settings, _logger, ct => ReloadAsync(ct));
    }

    /// <summary>The server URI that answered last (null before any success).</summary>
    internal Uri? ActiveUri => _fetcher.ActiveUri;

    /// <summary>Whether the refresh event stream is connected right now.</summary>
    internal bool Subscribed => _events.Subscribed;

    /// <summary>The server URI of the current (or last) event stream.</summary>
    internal Uri? SubscribedUri => _events.SubscribedUri;

    /// <summary>How many times the data changed after the first load.</summary>
    internal int ReloadCount { get; private set; }

    public override void Load()
    {
        try
        {
            Data = Fetched(_fetcher.FetchWithRetryAsync(_stop.Token).GetAwaiter().GetResult());
            LogLoaded(_logger, _settings.Name, _settings.Profile, ActiveUri, Data.Count);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or ConfigServerException)
        {
            if (_settings.FailFast)
            {
                throw new InvalidOperationException(
                    $"Config server unavailable for {_settings.Name}/{_settings.Profile} at {string.Join(", ", _settings.Uris)} and Spring:Cloud:Config:FailFast is set: {e.Message}", e);
            }
            var cached = _cache.Read();
            LogLoadFailed(_logger, string.Join(", ", _settings.Uris), e.Message, cached is null ? "no cached copy" : "using the cached copy");
            Data = cached ?? new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        }
        StartWatching();
    }

    private Dictionary<string, string?> Fetched(FetchedEnvironment fetched)
    {
        _cache.Write(fetched.Json);
        return fetched.Data;
    }

    private void StartWatching()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }
        if (_settings.WatchEnabled)
        {
            _ = Task.Run(() => _events.RunAsync(ActiveUri, _stop.Token));
        }
        if (_settings.PollIntervalSeconds > 0)
        {
            _ = Task.Run(() => Polling.RunAsync(TimeSpan.FromSeconds(_settings.PollIntervalSeconds), ct => ReloadAsync(ct), _stop.Token));
        }
    }

    /// <summary>Fetches again and raises the reload token when anything changed; returns whether it did.</summary>
    internal async Task<bool> ReloadAsync(CancellationToken ct)
    {
        await _reloadGate.WaitAsync(ct);
        try
        {
            var fresh = Fetched(await _fetcher.FetchOnceAsync(ct));
            if (SpringKeyFlattener.SameData(fresh, Data))
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

    public void Dispose()
    {
        _stop.Cancel();
        _fetcher.Dispose();
        _events.Dispose();
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
}
