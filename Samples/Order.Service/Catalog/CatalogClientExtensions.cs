using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Infrastructure.Samples.Order.Catalog;

/// <summary>Wires the catalog HttpClient: token relay, resilience (retry → breaker → attempt timeout), then discovery.</summary>
internal static class CatalogClientExtensions
{
    public static IHostApplicationBuilder AddCatalogClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CatalogClientOptions>().BindConfiguration(CatalogClientOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddTransient<TokenRelayHandler>();
        builder.Services.AddServiceDiscovery();
        var client = builder.Services.AddHttpClient<CatalogClient>((sp, http) =>
            {
                http.BaseAddress = sp.GetRequiredService<IOptions<CatalogClientOptions>>().Value.BaseAddress;
                // The resilience pipeline owns timeouts; this is only a last-resort cap.
                http.Timeout = TimeSpan.FromSeconds(60);
            })
            .AddHttpMessageHandler<TokenRelayHandler>();
        client.AddResilienceHandler("catalog", (pipeline, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<IOptions<CatalogClientOptions>>().Value;
                pipeline
                    .AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = Math.Max(1, o.Retries),
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        Delay = TimeSpan.FromMilliseconds(50),
                        ShouldHandle = o.Retries == 0 ? _ => PredicateResult.False() : new HttpRetryStrategyOptions().ShouldHandle,
                    })
                    .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                    {
                        FailureRatio = o.FailureRatio,
                        MinimumThroughput = o.MinimumThroughput,
                        SamplingDuration = TimeSpan.FromSeconds(Math.Max(o.SamplingDurationSeconds, 1)),
                        BreakDuration = TimeSpan.FromSeconds(o.BreakDurationSeconds),
                    })
                    .AddTimeout(TimeSpan.FromMilliseconds(o.TimeoutMs));
            });
        // Innermost, so each retry resolves the name again and lands on the next instance.
        client.AddServiceDiscovery();
        return builder;
    }
}
