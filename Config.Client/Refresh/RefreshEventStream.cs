using Infrastructure.Config.Client.Fetching;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Config.Client.Refresh;

/// <summary>
/// A Server-Sent Events subscription to <c>{uri}/monitor/events?application=&amp;profile=</c> that calls back on every refresh
/// event for this application, fails over to the next URI when the stream drops, and backs off only once every URI failed.
/// </summary>
internal sealed partial class RefreshEventStream : IDisposable
{
    private readonly ConfigServerClientSettings _settings;
    private readonly ILogger _logger;
    private readonly Func<CancellationToken, Task> _onRefresh;
    private readonly HttpClient _http;

    /// <param name="settings">The URIs, name, profiles and credentials.</param>
    /// <param name="logger">The provider's logger.</param>
    /// <param name="onRefresh">Called for a matching event, and once after every reconnect (events may have been missed).</param>
    /// <param name="handler">The HTTP handler (tests); a plain <see cref="SocketsHttpHandler"/> when null.</param>
    public RefreshEventStream(ConfigServerClientSettings settings, ILogger logger, Func<CancellationToken, Task> onRefresh, HttpMessageHandler? handler = null)
    {
        _settings = settings;
        _logger = logger;
        _onRefresh = onRefresh;
        _http = new HttpClient(handler ?? new SocketsHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Whether the stream is connected right now.</summary>
    public bool Subscribed { get; private set; }

    /// <summary>The server URI of the current (or last) stream.</summary>
    public Uri? SubscribedUri { get; private set; }

    /// <summary>Follows the event stream until <paramref name="ct"/> is cancelled, starting at <paramref name="startAt"/> (the server that answered the fetch).</summary>
    public async Task RunAsync(Uri? startAt, CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        string? lastEventId = null;
        var reconnecting = false;
        // Start where the last fetch succeeded; after a failure try the next URI at once, and back off only once every
        // URI has failed in a row (a killed server must not keep the stream, and so refreshes, away until the next poll).
        var index = startAt is { } active ? Math.Max(0, IndexOf(active)) : 0;
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
                ServerCredentials.Apply(req, _settings, baseUri);
                using var resp = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
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
                    await _onRefresh(ct);
                }
                reconnecting = true;
                string? id = null, evt = null, data = null;
                while (!ct.IsCancellationRequested && await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (evt == "refresh" && data is not null && EventDestinations.Concerns(data, _settings.Name, _settings.Profiles))
                        {
                            await _onRefresh(ct);
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

    public void Dispose() => _http.Dispose();

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Subscribed to refresh events at {Uri}")]
    private static partial void LogSubscribed(ILogger logger, Uri uri);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Refresh event stream from {Uri} failed ({Error}); reconnecting to {Next} in {Delay}")]
    private static partial void LogStreamFailed(ILogger logger, Uri uri, string error, Uri next, TimeSpan delay);
}
