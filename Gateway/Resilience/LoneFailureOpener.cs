using Polly;
using Polly.CircuitBreaker;

namespace Infrastructure.Gateway.Resilience;

/// <summary>
/// Hystrix's <c>requestVolumeThreshold</c> of 0 or 1 on Polly's breaker, whose minimum throughput is 2: when a failure is
/// the only request in the rolling window, Hystrix opens (one request, 100 % errors) while Polly counts one request and
/// waits. Then this strategy, wrapped around the breaker, hands the breaker one more failure, so it opens as Hystrix would
/// and goes on from there by its own rules (sleep window, one trial request). With another request in the window, Polly's
/// count is already 2 or more and it decides alone, as Hystrix does.
/// </summary>
internal sealed class LoneFailureOpener(
    ResiliencePipeline<HttpResponseMessage> breaker,
    CircuitBreakerStateProvider state,
    Func<Outcome<HttpResponseMessage>, bool> isFailure,
    TimeSpan window,
    TimeProvider time) : ResilienceStrategy<HttpResponseMessage>
{
    private long _lastOutcome = long.MinValue;

    protected override async ValueTask<Outcome<HttpResponseMessage>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<HttpResponseMessage>>> callback, ResilienceContext context, TState state1)
    {
        var closedBefore = state.CircuitState == CircuitState.Closed;
        var outcome = await callback(context, state1).ConfigureAwait(context.ContinueOnCapturedContext);
        if (!closedBefore || outcome.Exception is BrokenCircuitException)
        {
            // Half-open trials and refused calls are the breaker's own business.
            return outcome;
        }
        var now = time.GetTimestamp();
        var previous = Interlocked.Exchange(ref _lastOutcome, now);
        var alone = previous == long.MinValue || time.GetElapsedTime(previous, now) >= window;
        if (alone && isFailure(outcome) && state.CircuitState == CircuitState.Closed)
        {
            var extra = ResilienceContextPool.Shared.Get(context.CancellationToken);
            try
            {
                await breaker.ExecuteOutcomeAsync(
                    static (_, _) => ValueTask.FromResult(Outcome.FromException<HttpResponseMessage>(
                        new HttpRequestException("a failure alone in the rolling window, with RequestVolumeThreshold below 2 (Hystrix opens on it)"))),
                    extra, 0).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(extra);
            }
        }
        return outcome;
    }
}
