using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Infrastructure.Discovery.Server.Api;
using Infrastructure.Discovery.Server.Registry;
using Infrastructure.ServiceDefaults.Lifetime;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Replication;

/// <summary>
/// Sends the changes the registry queued in <see cref="PeerNodes"/> to every peer (one queue and worker per peer, so a
/// dead peer slows nobody), re-registers on a peer that answers a heartbeat with 404, and syncs the registry from a peer
/// once the server is listening. What it learns from peers is applied as replicated, so it never goes back out.
/// </summary>
internal sealed partial class PeerReplicator : BackgroundService
{
    private readonly InstanceRegistry _registry;
    private readonly PeerNodes _nodes;
    private readonly IServer _server;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<EurekaServerOptions> _options;
    private readonly IReadOnlyList<Uri> _configured;
    private readonly ILogger<PeerReplicator> _logger;
    private readonly HttpClient _http;

    public PeerReplicator(
        InstanceRegistry registry, PeerNodes nodes, IServer server, IHostApplicationLifetime lifetime, TimeProvider time,
        IOptionsMonitor<EurekaServerOptions> options, IOptions<PeerOptions> peers, ILogger<PeerReplicator> logger)
    {
        _registry = registry;
        _nodes = nodes;
        _server = server;
        _lifetime = lifetime;
        _time = time;
        _options = options;
        _configured = peers.Value.PeerUrls();
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            Timeout = EurekaServerSettingsCheck.PeerTimeout(options.CurrentValue),
        };
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_configured.Count == 0)
        {
            return;
        }
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (_lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        var own = _server.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        _nodes.Start(_configured.Where(u => !IsSelf(u, own)).Select(u => new PeerNode(u)));
        LogPeers(_logger, string.Join(", ", _nodes.Nodes.Select(p => p.ServiceUrl)));
        var workers = _nodes.Nodes.Select(p => RunWorkerAsync(p, stoppingToken)).ToList();
        await SyncRegistryAsync(stoppingToken);
        await Task.WhenAll(workers);
    }

    /// <summary>A configured URL is this node when its port matches one we listen on and its host is ours.</summary>
    internal static bool IsSelf(Uri peer, IEnumerable<string> ownAddresses)
    {
        foreach (var address in ownAddresses)
        {
            var normalised = address.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal);
            if (!Uri.TryCreate(normalised, UriKind.Absolute, out var own) || own.Port != peer.Port)
            {
                continue;
            }
            if (string.Equals(own.Host, peer.Host, StringComparison.OrdinalIgnoreCase)
                || (IsLocal(own.Host) && IsLocal(peer.Host)))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsLocal(string host) =>
        host is "localhost" or "0.0.0.0" or "[::]" or "[::1]" or "::1"
        || string.Equals(host, Dns.GetHostName(), StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && (IPAddress.IsLoopback(ip) || LocalAddresses.Value.Contains(ip)));

    // A peer URL may name this machine by one of its interface addresses (a node bound to 0.0.0.0).
    private static readonly Lazy<HashSet<IPAddress>> LocalAddresses = new(() =>
    {
        try
        {
            return System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)
                .ToHashSet();
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
            return [];
        }
    });

    private Task RunWorkerAsync(PeerNode peer, CancellationToken ct) =>
        BackgroundLoop.RunForEachAsync($"replication to {peer.ServiceUrl}", peer.Queue.Reader.ReadAllAsync(ct),
            (task, c) => SendWithRetriesAsync(peer, task, c), _logger, ct);

    private async Task SendWithRetriesAsync(PeerNode peer, ReplicationTask task, CancellationToken ct)
    {
        // A lost heartbeat is repaired by the next one; other changes are retried a few times.
        var attempts = task.Action == ReplicationAction.Heartbeat ? 1 : EurekaServerSettingsCheck.ReplicationAttempts(_options.CurrentValue);
        for (var attempt = 1; attempt <= attempts && !ct.IsCancellationRequested; attempt++)
        {
            try
            {
                using var response = await SendAsync(peer, task, ct);
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    // Retrying cannot help: the peer wants credentials we do not have. Said once, not per heartbeat.
                    if (peer.Failed(_time.GetUtcNow(), Refused(task.Action.ToString(), response.StatusCode)))
                    {
                        LogPeerRefused(_logger, peer.ServiceUrl, task.Action.ToString(), (int)response.StatusCode);
                    }
                    return;
                }
                peer.Succeeded(_time.GetUtcNow());
                if (task.Action == ReplicationAction.Heartbeat && response.StatusCode == HttpStatusCode.NotFound
                    && _registry.TryGetInstance(task.App, task.Id, out var current))
                {
                    // The peer does not know the instance (it started later or evicted it): give it our copy.
                    using var registered = await SendAsync(peer, new ReplicationTask(ReplicationAction.Register, task.App, task.Id) { Instance = current.Info }, ct);
                }
                else if (task.Action == ReplicationAction.Heartbeat && response.StatusCode == HttpStatusCode.Conflict)
                {
                    await AdoptPeerCopyAsync(response, ct);
                }
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                peer.Failed(_time.GetUtcNow(), ex.Message);
                LogPeerFailed(_logger, peer.ServiceUrl, task.Action, attempt, ex.Message);
                if (attempt < attempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), _time, ct);
                }
            }
        }
    }

    /// <summary>A peer with a newer copy answered 409 with it: take it, as Eureka's <c>syncInstancesIfTimestampDiffers</c>.</summary>
    private async Task AdoptPeerCopyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
        if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("instance", out var e)
            && e.ValueKind == JsonValueKind.Object && InstanceReader.FromJsonElement(e, _time.GetUtcNow().ToUnixTimeMilliseconds(), out _) is { } info)
        {
            _registry.Register(info, isReplication: true);
        }
    }

    private Task<HttpResponseMessage> SendAsync(PeerNode peer, ReplicationTask task, CancellationToken ct)
    {
        var instancePath = $"apps/{Uri.EscapeDataString(task.App)}/{Uri.EscapeDataString(task.Id)}";
        HttpRequestMessage request = task.Action switch
        {
            ReplicationAction.Register => new HttpRequestMessage(HttpMethod.Post, new Uri(peer.ServiceUrl, $"apps/{Uri.EscapeDataString(task.App)}"))
            {
                Content = new ByteArrayContent(EurekaJsonWriter.Instance(new RegisteredInstance(task.Instance!, default))) { Headers = { { "Content-Type", "application/json" } } },
            },
            ReplicationAction.Heartbeat => new HttpRequestMessage(HttpMethod.Put, new Uri(peer.ServiceUrl, instancePath + Query(
                ("status", task.Status?.ToString()),
                ("lastDirtyTimestamp", task.LastDirtyTimestamp?.ToString(CultureInfo.InvariantCulture)),
                ("overriddenstatus", task.OverriddenStatus is { } o && o != InstanceStatus.UNKNOWN ? o.ToString() : null)))),
            ReplicationAction.Cancel => new HttpRequestMessage(HttpMethod.Delete, new Uri(peer.ServiceUrl, instancePath)),
            ReplicationAction.StatusUpdate => new HttpRequestMessage(HttpMethod.Put, new Uri(peer.ServiceUrl, instancePath + "/status" + Query(
                ("value", task.Status?.ToString()), ("lastDirtyTimestamp", task.LastDirtyTimestamp?.ToString(CultureInfo.InvariantCulture))))),
            ReplicationAction.DeleteStatusOverride => new HttpRequestMessage(HttpMethod.Delete, new Uri(peer.ServiceUrl, instancePath + "/status" + Query(
                ("value", task.Status?.ToString()), ("lastDirtyTimestamp", task.LastDirtyTimestamp?.ToString(CultureInfo.InvariantCulture))))),
            _ => new HttpRequestMessage(HttpMethod.Put, new Uri(peer.ServiceUrl, instancePath + "/metadata" + Query(
                (task.Metadata ?? new Dictionary<string, string>()).Select(kv => (kv.Key, (string?)kv.Value)).ToArray()))),
        };
        request.Headers.TryAddWithoutValidation(EurekaApi.ReplicationHeader, "true");
        request.Headers.Authorization = peer.Authorization;
        request.Headers.Accept.ParseAdd("application/json");
        return SendDisposingAsync(request, ct);
    }

    private async Task<HttpResponseMessage> SendDisposingAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            return await _http.SendAsync(request, ct);
        }
    }

    private static string Query(params (string Key, string? Value)[] pairs)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in pairs)
        {
            if (v is null)
            {
                continue;
            }
            sb.Append(sb.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(k)).Append('=').Append(Uri.EscapeDataString(v));
        }
        return sb.ToString();
    }

    /// <summary>Full fetch from the first peer that answers, applied as replicated registrations (Eureka's <c>syncUp</c>).</summary>
    private async Task SyncRegistryAsync(CancellationToken ct)
    {
        var o = _options.CurrentValue;
        for (var attempt = 0; attempt <= o.RegistrySyncRetries && !ct.IsCancellationRequested; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(o.RegistrySyncRetryWaitMs), _time, ct);
            }
            foreach (var peer in _nodes.Nodes)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(peer.ServiceUrl, "apps"));
                    request.Headers.Accept.ParseAdd("application/json");
                    request.Headers.Authorization = peer.Authorization;
                    using var response = await _http.SendAsync(request, ct);
                    if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    {
                        if (peer.Failed(_time.GetUtcNow(), Refused("registry sync", response.StatusCode)))
                        {
                            LogPeerRefused(_logger, peer.ServiceUrl, "registry sync", (int)response.StatusCode);
                        }
                        continue;
                    }
                    if (!response.IsSuccessStatusCode)
                    {
                        peer.Failed(_time.GetUtcNow(), $"GET apps answered {(int)response.StatusCode}");
                        continue;
                    }
                    peer.Succeeded(_time.GetUtcNow());
                    var count = ApplyFullRegistry(await response.Content.ReadAsByteArrayAsync(ct));
                    LogSynced(_logger, count, peer.ServiceUrl);
                    return;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
                {
                    peer.Failed(_time.GetUtcNow(), ex.Message);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    // Anything else is a bug or a payload we did not foresee: say so loudly, then try the next peer
                    // instead of letting the exception end the hosted service (which would stop the whole server).
                    peer.Failed(_time.GetUtcNow(), ex.Message);
                    LogSyncFailed(_logger, ex, peer.ServiceUrl);
                }
            }
        }
    }

    private int ApplyFullRegistry(byte[] payload)
    {
        using var doc = JsonDocument.Parse(payload);
        if (doc.RootElement.ValueKind != JsonValueKind.Object
            || !doc.RootElement.TryGetProperty("applications", out var apps) || apps.ValueKind != JsonValueKind.Object
            || !apps.TryGetProperty("application", out var list))
        {
            return 0;
        }
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var count = 0;
        foreach (var app in AsArray(list))
        {
            if (app.ValueKind != JsonValueKind.Object || !app.TryGetProperty("instance", out var instances))
            {
                continue;
            }
            foreach (var e in AsArray(instances))
            {
                if (e.ValueKind == JsonValueKind.Object && InstanceReader.FromJsonElement(e, now, out _) is { } info)
                {
                    _registry.Register(info, isReplication: true);
                    count++;
                }
            }
        }
        return count;
    }

    private static string Refused(string call, HttpStatusCode status) =>
        $"{call} refused with {(int)status}: put the peer's credentials in its URL";

    private static IEnumerable<JsonElement> AsArray(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : e.ValueKind == JsonValueKind.Object ? [e] : [];

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Replicating to peers: {Peers}")]
    private static partial void LogPeers(ILogger logger, string peers);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Replication to {Peer} failed ({Action}, attempt {Attempt}): {Error}")]
    private static partial void LogPeerFailed(ILogger logger, Uri peer, ReplicationAction action, int attempt, string error);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Synced {Count} instances from {Peer}")]
    private static partial void LogSynced(ILogger logger, int count, Uri peer);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Peer {Peer} refused {Call} with {Status}: its registry is closed; put its credentials in the peer URL (http://user:password@host:port/eureka/)")]
    private static partial void LogPeerRefused(ILogger logger, Uri peer, string call, int status);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "Registry sync from {Peer} failed")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception, Uri peer);
}
