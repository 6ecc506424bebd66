using System.Text.Json;
using Infrastructure.Discovery.Client.Eureka.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Infrastructure.Discovery.Client.Eureka.Registry;

/// <summary>
/// Keeps <see cref="LocalRegistry"/> current: a full fetch first (retried with backoff while Eureka is down),
/// then a delta fetch every <c>RegistryFetchIntervalSeconds</c>; when the hash of the patched copy differs
/// from the server's <c>apps__hashcode</c>, a full fetch reconciles, as Eureka's DiscoveryClient does.
/// </summary>
internal sealed class RegistryFetchService : BackgroundService
{
    private readonly EurekaHttpClient _client;
    private readonly LocalRegistry _registry;
    private readonly ILogger<RegistryFetchService> _logger;
    private readonly TimeSpan _interval;
    private readonly bool _disableDelta;
    private readonly ResiliencePipeline _firstFetchPipeline;

    public RegistryFetchService(EurekaHttpClient client, LocalRegistry registry, IOptions<EurekaClientOptions> options, ILogger<RegistryFetchService> logger)
    {
        _client = client;
        _registry = registry;
        _logger = logger;
        _interval = TimeSpan.FromSeconds(options.Value.RegistryFetchIntervalSeconds);
        _disableDelta = options.Value.ShouldDisableDelta;
        _firstFetchPipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<EurekaServerException>().Handle<JsonException>(),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = _interval,
                OnRetry = args =>
                {
                    Log.FetchFailed(_logger, args.Outcome.Exception?.Message ?? "");
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Number of full fetches so far.</summary>
    public int FullFetches { get; private set; }

    /// <summary>Number of delta fetches so far.</summary>
    public int DeltaFetches { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _firstFetchPipeline.ExecuteAsync(async ct => await FetchFullAsync(ct).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(_interval);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await FetchAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is EurekaServerException or JsonException)
                {
                    // Keep serving the last known copy; the next tick tries again.
                    Log.FetchFailed(_logger, ex.Message);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Anything else (a bug, an answer we did not foresee) must not end the fetching for the life of the process.
                    Log.LoopFailed(_logger, ex, "fetching the registry");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>One fetch cycle: a delta when possible, else (or on hash mismatch) a full fetch.</summary>
    internal async Task FetchAsync(CancellationToken cancellationToken)
    {
        if (_disableDelta || !_registry.HasFullCopy)
        {
            await FetchFullAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        ApplicationsDocument delta;
        try
        {
            delta = await _client.GetDeltaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (EurekaServerException ex) when ((int?)ex.Status is >= 400 and < 500)
        {
            // A server with deltas disabled answers 403: fall back to a full fetch, as Eureka clients do
            // (a 5xx means the server is in trouble, and a full fetch would only add to it).
            Log.FetchFailed(_logger, ex.Message);
            await FetchFullAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        DeltaFetches++;
        var local = _registry.ApplyDelta(delta.Instances);
        Log.DeltaApplied(_logger, delta.Instances.Count, local);
        if (!string.Equals(local, delta.AppsHashCode ?? "", StringComparison.Ordinal))
        {
            Log.HashMismatch(_logger, local, delta.AppsHashCode);
            await FetchFullAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task FetchFullAsync(CancellationToken cancellationToken)
    {
        var all = await _client.GetApplicationsAsync(cancellationToken).ConfigureAwait(false);
        _registry.ReplaceAll(all.Instances);
        FullFetches++;
        Log.FullFetch(_logger, _registry.GetServices().Count, all.Instances.Count, all.Instances.Count(i => i.Status == InstanceStatus.UP));
    }
}
