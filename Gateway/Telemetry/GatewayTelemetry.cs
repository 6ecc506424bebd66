using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Infrastructure.Gateway.Dashboard;
using Infrastructure.Gateway.Resilience;
using Polly.CircuitBreaker;

namespace Infrastructure.Gateway.Telemetry;

/// <summary>
/// The gateway's meter, <c>Infrastructure.Gateway</c>: requests by route, instance and status, duration histogram,
/// in-flight gauge, circuit states and transitions. Spans come from the ASP.NET Core and HttpClient instrumentation
/// (server span tagged with the route, one client span per upstream attempt).
/// </summary>
internal sealed class GatewayTelemetry : IDisposable
{
    public const string Name = "Infrastructure.Gateway";

    // Boxed once: a status tag per request would otherwise allocate.
    private static readonly object[] StatusObjects = Enumerable.Range(0, 600).Select(i => (object)i).ToArray();

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _transitions;
    private readonly ConcurrentDictionary<string, CircuitBreakerStateProvider> _circuits = new(StringComparer.Ordinal);
    // The live dashboard's rolling windows (null when Gateway:Dashboard:Enabled is false).
    private readonly DashboardMetrics? _dashboard;

    public GatewayTelemetry(IMeterFactory meterFactory, DashboardMetrics? dashboard = null)
    {
        _dashboard = dashboard is { Enabled: true } ? dashboard : null;
        _meter = meterFactory.Create(Name);
        _requests = _meter.CreateCounter<long>("gateway.requests", "{request}", "Requests handled, by route, instance and status");
        _duration = _meter.CreateHistogram<double>("gateway.request.duration", "s", "Time from receiving the request to the end of the response",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _active = _meter.CreateUpDownCounter<long>("gateway.requests.active", "{request}", "Requests being proxied now, by route");
        _transitions = _meter.CreateCounter<long>("gateway.circuit.transitions", "{transition}", "Circuit-breaker state changes, by circuit and new state");
        _meter.CreateObservableGauge("gateway.circuit.state", ObserveCircuits, "{state}", "Circuit state: 0 closed, 1 open, 2 half-open, 3 isolated");
    }

    public void RequestStarted(string route)
    {
        _active.Add(1, new KeyValuePair<string, object?>("route", route));
        _dashboard?.RequestStarted(route);
    }

    public void RequestFinished(string route, string? instance, int status, TimeSpan elapsed)
    {
        _active.Add(-1, new KeyValuePair<string, object?>("route", route));
        var tags = new TagList
        {
            { "route", route },
            { "instance", instance ?? "" },
            { "status", status is >= 0 and < 600 ? StatusObjects[status] : status },
        };
        _requests.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
        _dashboard?.RequestFinished(route, instance, status, elapsed);
    }

    /// <summary>A new breaker: of route <paramref name="routeId"/>, or of one of its instances when <paramref name="instanceId"/> is set.</summary>
    public void RegisterCircuit(string name, CircuitBreakerStateProvider state, string routeId, string? instanceId = null, CircuitBreakerSettings? settings = null)
    {
        _circuits[name] = state;
        _dashboard?.RegisterCircuit(name, state, routeId, instanceId, settings);
    }

    public void CircuitTransition(string name, CircuitState state)
    {
        _transitions.Add(1, new KeyValuePair<string, object?>("circuit", name), new KeyValuePair<string, object?>("state", state.ToString()));
        _dashboard?.CircuitTransition(name, state);
    }

    private IEnumerable<Measurement<int>> ObserveCircuits()
    {
        foreach (var (name, state) in _circuits)
        {
            yield return new Measurement<int>(state.CircuitState switch
            {
                CircuitState.Closed => 0,
                CircuitState.Open => 1,
                CircuitState.HalfOpen => 2,
                _ => 3,
            }, new KeyValuePair<string, object?>("circuit", name));
        }
    }

    public void Dispose() => _meter.Dispose();
}
