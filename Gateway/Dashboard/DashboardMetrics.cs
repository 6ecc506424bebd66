using System.Collections.Concurrent;
using Infrastructure.Gateway.Resilience;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Infrastructure.Gateway.Dashboard;

/// <summary>A circuit breaker as the dashboard shows it: where it sits, its settings, its state and when that last changed.</summary>
internal sealed class CircuitEntry(string name, string routeId, string? instanceId, CircuitBreakerSettings? settings, CircuitBreakerStateProvider state, long changedAtUnixMs)
{
    private int _state = (int)CircuitState.Closed;
    private long _changedAt = changedAtUnixMs;

    public string Name { get; } = name;
    public string RouteId { get; } = routeId;
    public string? InstanceId { get; } = instanceId;
    public CircuitBreakerSettings? Settings { get; } = settings;

    /// <summary>The state as the last transition reported it; read on the request path without Polly's lock.</summary>
    public CircuitState ReportedState => (CircuitState)Volatile.Read(ref _state);

    /// <summary>Polly's own view (authoritative, takes the breaker's lock): for the stream, not the request path.</summary>
    public CircuitState State
    {
        get
        {
            try
            {
                return state.CircuitState;
            }
            catch (ObjectDisposedException)
            {
                return ReportedState;
            }
        }
    }

    /// <summary>Unix milliseconds (UTC) of the last state change, or of the breaker's creation.</summary>
    public long ChangedAtUnixMs => Interlocked.Read(ref _changedAt);

    public void Transition(CircuitState state, long atUnixMs)
    {
        Volatile.Write(ref _state, (int)state);
        Interlocked.Exchange(ref _changedAt, atUnixMs);
    }
}

/// <summary>The dashboard's figures of one route and, below it, of each instance it called.</summary>
internal sealed class RouteStats(string routeId, RollingStats stats)
{
    private long _inFlight;

    public string RouteId { get; } = routeId;
    public RollingStats Stats { get; } = stats;
    public ConcurrentDictionary<string, InstanceStats> Instances { get; } = new(StringComparer.Ordinal);

    /// <summary>The route's own breaker (CircuitBreaker filter), if it has one.</summary>
    public CircuitEntry? Circuit { get; set; }

    public long InFlight => Interlocked.Read(ref _inFlight);

    public void Started() => Interlocked.Increment(ref _inFlight);

    public void Finished() => Interlocked.Decrement(ref _inFlight);
}

/// <summary>The figures of one instance of one route.</summary>
internal sealed class InstanceStats(string instanceId, RollingStats stats)
{
    public string InstanceId { get; } = instanceId;
    public RollingStats Stats { get; } = stats;

    /// <summary>The instance's breaker for this route (metadata <c>instance-circuit-breaker</c>), if any.</summary>
    public CircuitEntry? Circuit { get; set; }
}

/// <summary>
/// The live dashboard's collector (Hystrix's HystrixCommandMetrics): per route and per route+instance rolling windows fed by
/// <see cref="Telemetry.GatewayTelemetry"/> on the request path, plus the circuit breakers and their transitions.
/// Entries are created once per key and cached; recording touches only Interlocked counters of pre-created buckets.
/// </summary>
internal sealed class DashboardMetrics
{
    private readonly ConcurrentDictionary<string, RouteStats> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CircuitEntry> _circuits = new(StringComparer.Ordinal);
    private readonly Func<string, DashboardMetrics, RouteStats> _newRoute;
    private readonly Func<string, DashboardMetrics, InstanceStats> _newInstance;
    private readonly TimeProvider _time;
    private readonly int _buckets;
    private readonly int _bucketMs;

    public DashboardMetrics(IOptions<DashboardOptions> options, TimeProvider time)
    {
        _time = time;
        Options = options.Value;
        Enabled = Options.Enabled;
        _buckets = Options.RollingStatsNumBuckets;
        _bucketMs = Options.BucketSizeInMilliseconds;
        _newRoute = static (id, self) => new RouteStats(id, self.NewStats());
        _newInstance = static (id, self) => new InstanceStats(id, self.NewStats());
    }

    public DashboardOptions Options { get; }

    public bool Enabled { get; }

    public TimeProvider Time => _time;

    public void RequestStarted(string routeId) => Route(routeId).Started();

    public void RequestFinished(string routeId, string? instanceId, int status, TimeSpan elapsed)
    {
        var route = Route(routeId);
        route.Finished();
        var outcome = status switch
        {
            // An upstream 429 has an instance; the gateway's limiter answers before one is picked.
            StatusCodes.Status429TooManyRequests when instanceId is null => RequestOutcome.RateLimited,
            StatusCodes.Status504GatewayTimeout => RequestOutcome.Timeout,
            StatusCodes.Status503ServiceUnavailable when route.Circuit is { ReportedState: not CircuitState.Closed } => RequestOutcome.ShortCircuited,
            >= 500 and < 600 => RequestOutcome.Failure,
            _ => RequestOutcome.Success,
        };
        var now = _time.GetTimestamp();
        route.Stats.Record(now, outcome, elapsed);
        if (instanceId is not null)
        {
            Instance(route, instanceId).Stats.Record(now, outcome, elapsed);
        }
    }

    public void RegisterCircuit(string name, CircuitBreakerStateProvider state, string routeId, string? instanceId, CircuitBreakerSettings? settings)
    {
        var entry = new CircuitEntry(name, routeId, instanceId, settings, state, _time.GetUtcNow().ToUnixTimeMilliseconds());
        _circuits[name] = entry;
        var route = Route(routeId);
        if (instanceId is null)
        {
            route.Circuit = entry;
        }
        else
        {
            Instance(route, instanceId).Circuit = entry;
        }
    }

    public void CircuitTransition(string name, CircuitState state)
    {
        if (_circuits.TryGetValue(name, out var entry))
        {
            entry.Transition(state, _time.GetUtcNow().ToUnixTimeMilliseconds());
        }
    }

    /// <summary>Every route seen so far (requests or a registered breaker).</summary>
    public ICollection<RouteStats> Routes => _routes.Values;

    /// <summary>
    /// Forgets what no longer matters: instances idle for a whole window (their breaker aside), and idle routes
    /// <paramref name="isLiveRoute"/> says are gone (deleted or reloaded away).
    /// </summary>
    public void Prune(Func<string, bool> isLiveRoute)
    {
        var now = _time.GetTimestamp();
        foreach (var (id, route) in _routes)
        {
            foreach (var (instanceId, instance) in route.Instances)
            {
                if (instance.Circuit is null && instance.Stats.IsIdle(now))
                {
                    route.Instances.TryRemove(instanceId, out _);
                }
            }
            if (!isLiveRoute(id) && route.Circuit is null && route.InFlight == 0 && route.Stats.IsIdle(now))
            {
                _routes.TryRemove(id, out _);
            }
        }
    }

    private RouteStats Route(string routeId) =>
        _routes.TryGetValue(routeId, out var r) ? r : _routes.GetOrAdd(routeId, _newRoute, this);

    private InstanceStats Instance(RouteStats route, string instanceId) =>
        route.Instances.TryGetValue(instanceId, out var i) ? i : route.Instances.GetOrAdd(instanceId, _newInstance, this);

    private RollingStats NewStats() => new(_buckets, _bucketMs, _time.TimestampFrequency, _time.GetTimestamp());
}
