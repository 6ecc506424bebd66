using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Forwarding;
using Infrastructure.Gateway.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Infrastructure.Gateway.Resilience;

/// <summary>What a route asked for, resolved from its filters, metadata and the global settings.</summary>
internal sealed record ResilienceSpec(
    RetryFilter? Retry,
    CircuitBreakerFilter? CircuitBreaker,
    CircuitBreakerSettings? BreakerSettings,
    int? MaxConcurrentRequests)
{
    public bool IsEmpty => Retry is null && CircuitBreaker is null && MaxConcurrentRequests is null;

    /// <summary>Identifies the pipeline, so a reload that leaves a route's resilience unchanged keeps its breaker state.</summary>
    public string Signature(string routeId) => string.Join('|',
        routeId,
        Retry?.Definition.ToString(),
        CircuitBreaker?.Definition.ToString(),
        BreakerSettings is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b.RequestVolumeThreshold},{b.ErrorThresholdPercentage},{b.SleepWindowInMilliseconds},{b.RollingStatsTimeInMilliseconds},{b.TimeoutInMilliseconds}") : null,
        MaxConcurrentRequests?.ToString(CultureInfo.InvariantCulture));
}

/// <summary>
/// Builds each route's Polly pipeline once (never per request), with only the strategies the route asks for, outermost first:
/// bulkhead (<c>max-concurrent-requests</c>) → circuit breaker → Hystrix time limit → retry. The per-attempt
/// <c>response-timeout</c> sits inside, in the forwarder, so a timed-out attempt can move to the next instance.
/// </summary>
internal sealed partial class RoutePipelineFactory(GatewayTelemetry telemetry, TimeProvider time, ILogger<RoutePipelineFactory> logger)
{
    public static readonly ResiliencePropertyKey<GatewayExchange> ExchangeKey = new("gateway.exchange");

    private readonly ConcurrentDictionary<string, ResiliencePipeline<HttpResponseMessage>> _pipelines = new(StringComparer.Ordinal);

    public ResiliencePipeline<HttpResponseMessage>? GetOrCreate(string routeId, ResilienceSpec spec)
    {
        if (spec.IsEmpty)
        {
            return null;
        }
        return _pipelines.GetOrAdd(spec.Signature(routeId), _ => Build(routeId, spec));
    }

    /// <summary>
    /// The breaker of one instance for one route (Hystrix per-instance / outlier ejection): connection failures, timeouts and
    /// 5xx answers count; while open the load balancer's pick is skipped for the next instance. Built once per route and instance.
    /// </summary>
    public ResiliencePipeline<HttpResponseMessage> GetInstancePipeline(string routeId, string breakerName, CircuitBreakerSettings s, string instanceId)
    {
        var key = string.Create(CultureInfo.InvariantCulture,
            $"{routeId}|instance|{breakerName}|{instanceId}|{s.RequestVolumeThreshold},{s.ErrorThresholdPercentage},{s.SleepWindowInMilliseconds},{s.RollingStatsTimeInMilliseconds}");
        if (_pipelines.TryGetValue(key, out var existing))
        {
            return existing;
        }
        return _pipelines.GetOrAdd(key, _ =>
        {
            var circuit = $"{breakerName}/{instanceId}";
            var state = new CircuitBreakerStateProvider();
            telemetry.RegisterCircuit(circuit, state, routeId, instanceId, s);
            var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
            AddBreaker(builder, circuit, routeId, s, state,
                outcome => outcome.Exception is HttpRequestException or TimeoutRejectedException or OperationCanceledException
                        || (outcome.Result is { } r && (int)r.StatusCode >= 500));
            return builder.Build();
        });
    }

    // The breaker, and around it (for Hystrix's request volume below 2) what opens it on a lone failure.
    private void AddBreaker(
        ResiliencePipelineBuilder<HttpResponseMessage> builder, string circuit, string routeId, CircuitBreakerSettings s,
        CircuitBreakerStateProvider state, Func<Outcome<HttpResponseMessage>, bool> isFailure)
    {
        var polly = HystrixMapping.ToPolly(s);
        var breaker = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddCircuitBreaker(BreakerOptions(circuit, routeId, polly, state, isFailure))
            .Build();
        if (polly.OpenOnLoneFailure)
        {
            builder.AddStrategy(_ => new LoneFailureOpener(breaker, state, isFailure, polly.SamplingDuration, time));
        }
        builder.AddPipeline(breaker);
    }

    // Hystrix settings mapped onto Polly's breaker, with transitions logged and counted for the circuit.
    private CircuitBreakerStrategyOptions<HttpResponseMessage> BreakerOptions(
        string circuit, string routeId, PollyBreakerSettings s, CircuitBreakerStateProvider state,
        Func<Outcome<HttpResponseMessage>, bool> isFailure) => new()
    {
        MinimumThroughput = s.MinimumThroughput,
        FailureRatio = s.FailureRatio,
        SamplingDuration = s.SamplingDuration,
        BreakDuration = s.BreakDuration,
        StateProvider = state,
        ShouldHandle = args => ValueTask.FromResult(isFailure(args.Outcome)),
        OnOpened = args =>
        {
            LogCircuitOpened(circuit, routeId, args.BreakDuration.TotalMilliseconds);
            telemetry.CircuitTransition(circuit, CircuitState.Open);
            return ValueTask.CompletedTask;
        },
        OnHalfOpened = _ =>
        {
            LogCircuitHalfOpened(circuit, routeId);
            telemetry.CircuitTransition(circuit, CircuitState.HalfOpen);
            return ValueTask.CompletedTask;
        },
        OnClosed = _ =>
        {
            LogCircuitClosed(circuit, routeId);
            telemetry.CircuitTransition(circuit, CircuitState.Closed);
            return ValueTask.CompletedTask;
        },
    };

    private ResiliencePipeline<HttpResponseMessage> Build(string routeId, ResilienceSpec spec)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (spec.MaxConcurrentRequests is { } permits)
        {
            builder.AddConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = permits, QueueLimit = 0 });
        }
        if (spec.CircuitBreaker is { } cb && spec.BreakerSettings is { } s)
        {
            var circuit = cb.BreakerName == "Default" ? routeId : cb.BreakerName;
            var state = new CircuitBreakerStateProvider();
            telemetry.RegisterCircuit(circuit, state, routeId, settings: s);
            var failureStatuses = cb.StatusCodes;
            AddBreaker(builder, circuit, routeId, s, state,
                outcome => outcome.Exception is HttpRequestException or TimeoutRejectedException or NoInstanceAvailableException
                        || (outcome.Result is { } r && failureStatuses.Contains((int)r.StatusCode)));
            if (s.TimeoutInMilliseconds > 0)
            {
                builder.AddTimeout(TimeSpan.FromMilliseconds(s.TimeoutInMilliseconds));
            }
        }
        if (spec.Retry is { } retry && retry.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = retry.Retries,
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(retry.Delay(args.AttemptNumber)),
                ShouldHandle = args =>
                {
                    var exchange = args.Context.Properties.GetValue(ExchangeKey, null!);
                    if (!retry.Methods.Contains(exchange.Context.Request.Method) || exchange.RequestBodyStarted)
                    {
                        return ValueTask.FromResult(false);
                    }
                    return ValueTask.FromResult(args.Outcome.Exception is HttpRequestException or TimeoutRejectedException
                        || (args.Outcome.Result is { } r && retry.IsRetryableStatus((int)r.StatusCode)));
                },
                OnRetry = args =>
                {
                    LogRetry(routeId, args.AttemptNumber + 1, args.Outcome.Exception?.GetType().Name ?? ((int?)args.Outcome.Result?.StatusCode)?.ToString(CultureInfo.InvariantCulture));
                    return ValueTask.CompletedTask;
                },
            });
        }
        return builder.Build();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Circuit {Circuit} (route {RouteId}) opened for {BreakMs} ms")]
    private partial void LogCircuitOpened(string circuit, string routeId, double breakMs);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Circuit {Circuit} (route {RouteId}) half-open: letting a trial request through")]
    private partial void LogCircuitHalfOpened(string circuit, string routeId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Circuit {Circuit} (route {RouteId}) closed")]
    private partial void LogCircuitClosed(string circuit, string routeId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Route {RouteId}: retry {Attempt} after {Reason}")]
    private partial void LogRetry(string routeId, int attempt, string? reason);
}
