using System.Net.Sockets;
using System.Text;
using Infrastructure.Discovery.Server.Registry;
using Infrastructure.ServiceDefaults.Configuration;
using Infrastructure.ServiceDefaults.Lifetime;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Consul;

/// <summary>A check of a service registered here, as served (Consul's <c>HealthCheck</c>).</summary>
internal sealed record CheckView(string CheckId, string Name, string Status, string Notes, string Output, string Type);

/// <summary>A service registered through this node's Consul API, with its checks, as served.</summary>
internal sealed record LocalServiceView(ServiceDefinition Definition, string App, string Host, IReadOnlyList<CheckView> Checks, string? MaintenanceReason);

/// <summary>Outcome of a TTL check update, as Consul distinguishes them.</summary>
internal enum TtlUpdateResult
{
    Ok,
    UnknownCheck,
    NotTtl,
}

/// <summary>
/// The Consul agent of this node: services registered through its API are Eureka instances it keeps alive (it renews
/// their leases, as a Eureka client would, and registers them again if the registry lost them, as Consul's
/// anti-entropy does) and whose checks it runs. A check's result is the instance's Eureka status: critical is DOWN,
/// passing or warning is UP; maintenance is the OUT_OF_SERVICE override. Every write goes to the peer-aware
/// <see cref="InstanceRegistry"/> as a client's, so it reaches Eureka peers like a Eureka client's.
/// </summary>
internal sealed partial class ConsulAgent : BackgroundService
{
    /// <summary>Consul's maintenance check id prefix and default reason.</summary>
    public const string MaintenancePrefix = "_service_maintenance:";

    public const string DefaultMaintenanceReason = "Maintenance mode is enabled for this service, but no reason was provided. This is a default message.";

    /// <summary>Eureka metadata key carrying Consul tags (a JSON array), so they replicate to peers; Consul reserves the <c>consul-</c> prefix, so no user meta collides.</summary>
    public const string TagsMetadataKey = "consul-tags";

    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private const int MaxOutput = 4096;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, LocalService> _services = new(StringComparer.Ordinal);
    private readonly InstanceRegistry _registry;
    private readonly ConsulIndex _index;
    private readonly TimeProvider _time;
    private readonly IHttpClientFactory _http;
    private readonly SemaphoreSlim _concurrency;
    private readonly ILogger<ConsulAgent> _logger;
    private CancellationToken _stopping = CancellationToken.None;

    public ConsulAgent(InstanceRegistry registry, ConsulIndex index, TimeProvider time, IHttpClientFactory http, IOptions<ConsulApiOptions> options, ILogger<ConsulAgent> logger)
    {
        _registry = registry;
        _index = index;
        _time = time;
        _http = http;
        _concurrency = new SemaphoreSlim(options.Value.MaxConcurrentChecks);
        _logger = logger;
    }

    /// <summary>Named HTTP clients for HTTP checks (one that skips TLS verification, for <c>TLSSkipVerify</c>).</summary>
    public const string HttpClientName = "consul-checks";

    public const string InsecureHttpClientName = "consul-checks-insecure";

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Registers or replaces a service; null on success, else the 400 text.</summary>
    public string? Register(ServiceDefinition def, string callerAddress)
    {
        var app = def.Name.ToUpperInvariant();
        var host = def.Address ?? callerAddress;
        lock (_gate)
        {
            var now = Now;
            _services.TryGetValue(def.Id, out var old);
            var checks = new List<LocalCheck>();
            for (var i = 0; i < def.Checks.Count; i++)
            {
                var c = def.Checks[i];
                var id = c.CheckId ?? ("service:" + def.Id + (def.Checks.Count > 1 ? ":" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : ""));
                if (checks.Any(x => x.Id == id) || _services.Values.Any(s => s != old && s.Checks.Any(x => x.Id == id)))
                {
                    return $"Invalid check: CheckID \"{id}\" is already in use";
                }
                // Consul keeps a check's last status when its service is registered again (clients re-register often).
                var previous = old?.Checks.FirstOrDefault(x => x.Id == id);
                var status = previous?.Status ?? c.Status ?? CheckStatus.Critical;
                checks.Add(new LocalCheck
                {
                    Id = id,
                    Name = c.Name ?? $"Service '{def.Name}' check",
                    Definition = c,
                    Status = status,
                    Output = previous?.Output ?? "",
                    TtlDeadline = now + (long)c.Ttl.TotalMilliseconds,
                    NextRun = now,
                    CriticalSince = status == CheckStatus.Critical ? previous?.CriticalSince ?? now : null,
                });
            }
            var renamed = old is not null && !old.App.Equals(app, StringComparison.Ordinal);
            if (renamed)
            {
                // Renamed: the instance moves to another Eureka application (and loses its override there).
                _registry.Cancel(old!.App, def.Id, isReplication: false);
            }
            var service = new LocalService
            {
                Definition = def,
                App = app,
                Host = host,
                Checks = checks,
                MaintenanceReason = old?.MaintenanceReason,
            };
            _services[def.Id] = service;
            Sync(service, now);
            if (renamed && service.MaintenanceReason is not null)
            {
                _registry.StatusUpdate(app, def.Id, InstanceStatus.OUT_OF_SERVICE, null, isReplication: false);
            }
        }
        return null;
    }

    /// <summary>Removes a service registered here and its Eureka instance; false when this agent does not have it.</summary>
    public bool Deregister(string id)
    {
        lock (_gate)
        {
            if (!_services.Remove(id, out var service))
            {
                return false;
            }
            if (!_registry.Cancel(service.App, id, isReplication: false))
            {
                _index.Bump(service.App);
            }
            return true;
        }
    }

    /// <summary>Sets a TTL check (<c>/v1/agent/check/pass|warn|fail|update</c>) and restarts its TTL.</summary>
    public TtlUpdateResult UpdateTtl(string checkId, string status, string output)
    {
        lock (_gate)
        {
            if (!TryFindCheck(checkId, out var service, out var check))
            {
                return TtlUpdateResult.UnknownCheck;
            }
            if (check.Definition.Kind != CheckKind.Ttl)
            {
                return TtlUpdateResult.NotTtl;
            }
            var now = Now;
            check.TtlDeadline = now + (long)check.Definition.Ttl.TotalMilliseconds;
            SetStatus(service, check, status, output, now);
            return TtlUpdateResult.Ok;
        }
    }

    /// <summary>Puts a service registered here in or out of maintenance (Eureka's OUT_OF_SERVICE override); false when unknown.</summary>
    public bool Maintenance(string id, bool enable, string? reason)
    {
        lock (_gate)
        {
            if (!_services.TryGetValue(id, out var service))
            {
                return false;
            }
            if (enable)
            {
                service.MaintenanceReason = string.IsNullOrEmpty(reason) ? DefaultMaintenanceReason : reason;
                if (!_registry.StatusUpdate(service.App, id, InstanceStatus.OUT_OF_SERVICE, null, isReplication: false))
                {
                    Sync(service, Now);
                    _registry.StatusUpdate(service.App, id, InstanceStatus.OUT_OF_SERVICE, null, isReplication: false);
                }
            }
            else
            {
                service.MaintenanceReason = null;
                _registry.DeleteStatusOverride(service.App, id, EurekaStatus(service), null, isReplication: false);
            }
            return true;
        }
    }

    public bool TryGet(string id, out LocalServiceView view)
    {
        lock (_gate)
        {
            if (_services.TryGetValue(id, out var service))
            {
                view = service.View();
                return true;
            }
        }
        view = null!;
        return false;
    }

    public IReadOnlyList<LocalServiceView> Services()
    {
        lock (_gate)
        {
            return _services.Values.OrderBy(s => s.Definition.Id, StringComparer.Ordinal).Select(s => s.View()).ToList();
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        return BackgroundLoop.RunEveryAsync("consul-checks", () => Tick, RunOnce, _time, _logger, stoppingToken);
    }

    /// <summary>One pass: expires TTLs, starts due HTTP/TCP checks, removes services critical past DeregisterCriticalServiceAfter, renews leases.</summary>
    internal void RunOnce()
    {
        var due = new List<(LocalService, LocalCheck)>();
        lock (_gate)
        {
            var now = Now;
            var reap = new List<LocalService>();
            foreach (var service in _services.Values)
            {
                foreach (var check in service.Checks)
                {
                    if (check.Definition.Kind == CheckKind.Ttl)
                    {
                        if (check.Status != CheckStatus.Critical && now >= check.TtlDeadline)
                        {
                            SetStatus(service, check, CheckStatus.Critical, "TTL expired", now);
                        }
                    }
                    else if (!check.Running && now >= check.NextRun)
                    {
                        check.Running = true;
                        check.NextRun = now + (long)check.Definition.Interval.TotalMilliseconds;
                        due.Add((service, check));
                    }
                }
                if (service.Checks.Any(c => c.Definition.DeregisterCriticalServiceAfter is { } after && c.CriticalSince is { } since && now - since >= (long)after.TotalMilliseconds))
                {
                    reap.Add(service);
                }
                else if (now - service.LastRenew >= InstanceInfo.DefaultRenewalIntervalInSecs * 1000L)
                {
                    service.LastRenew = now;
                    if (_registry.Renew(service.App, service.Definition.Id, isReplication: false) == RenewResult.NotFound)
                    {
                        // Cancelled through Eureka or evicted: the agent registers it again, as Consul's anti-entropy would.
                        Sync(service, now);
                    }
                }
            }
            foreach (var service in reap)
            {
                _services.Remove(service.Definition.Id);
                if (!_registry.Cancel(service.App, service.Definition.Id, isReplication: false))
                {
                    _index.Bump(service.App);
                }
                LogReaped(_logger, service.Definition.Id);
            }
        }
        foreach (var (service, check) in due)
        {
            _ = RunCheckAsync(service, check);
        }
    }

    private async Task RunCheckAsync(LocalService service, LocalCheck check)
    {
        string status;
        string output;
        try
        {
            await _concurrency.WaitAsync(_stopping).ConfigureAwait(false);
            try
            {
                (status, output) = check.Definition.Kind == CheckKind.Http
                    ? await ProbeHttpAsync(check.Definition).ConfigureAwait(false)
                    : await ProbeTcpAsync(check.Definition).ConfigureAwait(false);
            }
            finally
            {
                _concurrency.Release();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            status = CheckStatus.Critical;
            output = ex.Message;
        }
        lock (_gate)
        {
            check.Running = false;
            // A service registered again (or removed) meanwhile has new checks; this result belongs to none of them.
            if (_services.TryGetValue(service.Definition.Id, out var current) && ReferenceEquals(current, service))
            {
                SetStatus(service, check, status, output, Now);
            }
        }
    }

    /// <summary>Consul's HTTP check: 2xx passing, 429 warning, anything else (or no answer within Timeout) critical.</summary>
    private async Task<(string Status, string Output)> ProbeHttpAsync(CheckDefinition def)
    {
        var client = _http.CreateClient(def.TlsSkipVerify ? InsecureHttpClientName : HttpClientName);
        using var timeout = new CancellationTokenSource(def.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping);
        using var request = new HttpRequestMessage(new HttpMethod(def.Method), def.Http);
        request.Headers.TryAddWithoutValidation("User-Agent", "Consul Health Check");
        request.Headers.TryAddWithoutValidation("Accept", "text/plain, text/*, */*");
        foreach (var (name, values) in def.Header)
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, values);
        }
        if (def.Body is not null)
        {
            request.Content = new StringContent(def.Body, Encoding.UTF8);
        }
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var body = await ReadCappedAsync(response.Content, linked.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            var output = $"HTTP {def.Method} {def.Http}: {code} {response.ReasonPhrase} Output: {body}";
            return (code is >= 200 and <= 299 ? CheckStatus.Passing : code == 429 ? CheckStatus.Warning : CheckStatus.Critical, output);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (CheckStatus.Critical, $"{def.Method} \"{def.Http}\": timeout after {GoDuration.Format(def.Timeout)}");
        }
        catch (HttpRequestException ex)
        {
            return (CheckStatus.Critical, $"{def.Method} \"{def.Http}\": {ex.Message}");
        }
    }

    private static async Task<string> ReadCappedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[MaxOutput];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false)) > 0)
        {
            read += n;
        }
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    /// <summary>Consul's TCP check: passing when a connection opens within Timeout.</summary>
    private async Task<(string Status, string Output)> ProbeTcpAsync(CheckDefinition def)
    {
        var target = def.Tcp!;
        var colon = target.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
        {
            return (CheckStatus.Critical, $"dial tcp {target}: missing port in address");
        }
        var host = target[..colon].Trim('[', ']');
        using var timeout = new CancellationTokenSource(def.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping);
        using var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
            return (CheckStatus.Passing, $"TCP connect {target}: Success");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (CheckStatus.Critical, $"dial tcp {target}: i/o timeout");
        }
        catch (SocketException ex)
        {
            return (CheckStatus.Critical, $"dial tcp {target}: {ex.Message}");
        }
    }

    private void SetStatus(LocalService service, LocalCheck check, string status, string output, long now)
    {
        check.Output = output.Length > MaxOutput ? output[..MaxOutput] : output;
        if (check.Status == status)
        {
            return;
        }
        check.Status = status;
        check.CriticalSince = status == CheckStatus.Critical ? now : null;
        // One index move per change, after all of it is in place: a blocking query woken halfway would see a check
        // passing on an instance Eureka still has DOWN.
        if (EurekaStatus(service) != service.SyncedStatus)
        {
            Sync(service, now);
        }
        else
        {
            _index.Bump(service.App);
        }
    }

    /// <summary>Passing or warning serve traffic in Consul, so they are UP; critical is DOWN.</summary>
    private static InstanceStatus EurekaStatus(LocalService service) =>
        CheckStatus.Worst(service.Checks.Select(c => c.Status)) == CheckStatus.Critical ? InstanceStatus.DOWN : InstanceStatus.UP;

    /// <summary>Registers the service's current state as a Eureka instance (a Eureka client re-registers on a status change too).</summary>
    private void Sync(LocalService service, long now)
    {
        var status = EurekaStatus(service);
        _registry.Register(ToInstance(service, status, now), isReplication: false);
        service.SyncedStatus = status;
        service.LastRenew = now;
    }

    private static InstanceInfo ToInstance(LocalService service, InstanceStatus status, long now)
    {
        var def = service.Definition;
        var metadata = new Dictionary<string, string>(def.Meta, StringComparer.Ordinal);
        if (def.Tags.Count > 0)
        {
            metadata[TagsMetadataKey] = ConsulJson.TagsToText(def.Tags);
        }
        return new InstanceInfo
        {
            InstanceId = def.Id,
            App = service.App,
            HostName = service.Host,
            IpAddr = service.Host,
            Status = status,
            Port = def.Port,
            PortEnabled = true,
            VipAddress = def.Name,
            SecureVipAddress = def.Name,
            HealthCheckUrl = def.Checks.FirstOrDefault(c => c.Kind == CheckKind.Http)?.Http,
            Metadata = metadata,
            LastDirtyTimestamp = now,
        };
    }

    private bool TryFindCheck(string checkId, out LocalService service, out LocalCheck check)
    {
        foreach (var s in _services.Values)
        {
            foreach (var c in s.Checks)
            {
                if (c.Id == checkId)
                {
                    service = s;
                    check = c;
                    return true;
                }
            }
        }
        service = null!;
        check = null!;
        return false;
    }

    public override void Dispose()
    {
        _concurrency.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "Consul service {ServiceId} deregistered: a check stayed critical past its DeregisterCriticalServiceAfter")]
    private static partial void LogReaped(ILogger logger, string serviceId);

    private sealed class LocalService
    {
        public required ServiceDefinition Definition { get; init; }
        public required string App { get; init; }
        public required string Host { get; init; }
        public required List<LocalCheck> Checks { get; init; }
        public string? MaintenanceReason { get; set; }
        public InstanceStatus SyncedStatus { get; set; }
        public long LastRenew { get; set; }

        public LocalServiceView View() => new(Definition, App, Host, Checks.Select(c => c.View()).ToList(), MaintenanceReason);
    }

    private sealed class LocalCheck
    {
        public required string Id { get; init; }
        public required string Name { get; init; }
        public required CheckDefinition Definition { get; init; }
        public required string Status { get; set; }
        public required string Output { get; set; }
        public long TtlDeadline { get; set; }
        public long NextRun { get; set; }
        public long? CriticalSince { get; set; }
        public bool Running { get; set; }

        public CheckView View() => new(Id, Name, Status, Definition.Notes ?? "", Output, Definition.Kind switch
        {
            CheckKind.Http => "http",
            CheckKind.Tcp => "tcp",
            _ => "ttl",
        });
    }
}
