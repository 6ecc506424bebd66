using System.Net;
using Infrastructure.Discovery.Client.Eureka.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Infrastructure.Discovery.Client.Eureka.Registration;

/// <summary>
/// Registers this application once it has started (so the bound port is known), renews the lease every
/// <c>LeaseRenewalIntervalInSeconds</c>, registers again when a renew answers 404, and cancels on graceful shutdown.
/// Never blocks the host's start: everything runs in the background, retrying with backoff while Eureka is down.
/// </summary>
internal sealed class EurekaRegistrationService : BackgroundService
{
    private static readonly TimeSpan DeregisterTimeout = TimeSpan.FromSeconds(5);

    private readonly EurekaHttpClient _client;
    private readonly InstanceInfoFactory _factory;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<EurekaRegistrationService> _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _renewInterval;
    private readonly ResiliencePipeline _registerPipeline;
    private InstanceInfo? _instance;
    private volatile bool _registered;

    public EurekaRegistrationService(
        EurekaHttpClient client,
        InstanceInfoFactory factory,
        IHostApplicationLifetime lifetime,
        IOptions<EurekaInstanceOptions> options,
        ILogger<EurekaRegistrationService> logger,
        TimeProvider time)
    {
        _client = client;
        _factory = factory;
        _lifetime = lifetime;
        _logger = logger;
        _time = time;
        _renewInterval = TimeSpan.FromSeconds(options.Value.LeaseRenewalIntervalInSeconds);
        _registerPipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<EurekaServerException>(),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                // Never wait longer than a heartbeat: a registry coming back should see us within one interval.
                MaxDelay = _renewInterval,
                OnRetry = args =>
                {
                    Log.RegistrationFailed(_logger, _instance!.App, _instance.InstanceId, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message ?? "");
                    return default;
                },
            })
            .Build();
    }

    /// <summary>The instance as registered (null until the application has started).</summary>
    public InstanceInfo? Instance => _instance;

    /// <summary>Whether a registration has succeeded (and no cancel has been sent since).</summary>
    public bool IsRegistered => _registered;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WaitForApplicationStartedAsync(stoppingToken).ConfigureAwait(false);
            var (instance, error) = _factory.Create();
            if (instance is null)
            {
                Log.CannotRegister(_logger, error!);
                return;
            }
            _instance = instance;
            await _registerPipeline.ExecuteAsync(RegisterAsync, stoppingToken).ConfigureAwait(false);

            using var timer = new PeriodicTimer(_renewInterval);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await RenewAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // One failed renewal must not stop the heartbeats: the registry would evict a healthy instance.
                    Log.LoopFailed(_logger, ex, "renewing the lease");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var instance = _instance!;
        try
        {
            var status = await _client.RenewAsync(instance, cancellationToken).ConfigureAwait(false);
            if (status == HttpStatusCode.NotFound)
            {
                // The server lost us (restart, eviction): Eureka clients mark themselves dirty and register again.
                Log.RenewNotFound(_logger, instance.App, instance.InstanceId);
                _instance = instance with { LastDirtyTimestamp = _time.GetUtcNow().ToUnixTimeMilliseconds() };
                await RegisterAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (!IsSuccess(status))
            {
                Log.RenewFailed(_logger, instance.App, instance.InstanceId, $"status {(int)status}");
            }
        }
        catch (EurekaServerException ex)
        {
            // The next heartbeat tries again; a 404 then brings the registration back.
            Log.RenewFailed(_logger, instance.App, instance.InstanceId, ex.Message);
        }
    }

    private async ValueTask RegisterAsync(CancellationToken cancellationToken)
    {
        var instance = _instance!;
        var status = await _client.RegisterAsync(instance, cancellationToken).ConfigureAwait(false);
        if (!IsSuccess(status))
        {
            throw new EurekaServerException($"register answered {(int)status}", status);
        }
        _registered = true;
        Log.Registered(_logger, instance.App, instance.InstanceId, instance.HomePageUrl ?? instance.HostName, _client.CurrentServer);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!_registered || _instance is not { } instance)
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DeregisterTimeout);
        try
        {
            var status = await _client.CancelAsync(instance, timeout.Token).ConfigureAwait(false);
            _registered = false;
            Log.Deregistered(_logger, instance.App, instance.InstanceId, status);
        }
        catch (Exception ex) when (ex is EurekaServerException or OperationCanceledException)
        {
            // The lease expires on its own; nothing else to do on the way out.
            Log.DeregisterFailed(_logger, instance.App, instance.InstanceId, ex.Message);
        }
    }

    private async Task WaitForApplicationStartedAsync(CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = _lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;
}
