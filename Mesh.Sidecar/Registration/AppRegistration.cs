using System.Net;
using Infrastructure.Discovery.Client.Eureka.Registration;
using Infrastructure.Discovery.Client.Eureka.Transport;
using Infrastructure.Eureka.Protocol;

namespace Infrastructure.Mesh.Sidecar.Registration;

/// <summary>
/// Registers the app in the registry on its behalf (the inbound port as its port, the workload's labels as metadata),
/// renews, reports the app's health as UP/DOWN, and deregisters on stop; through Discovery.Client's transport.
/// </summary>
internal sealed partial class AppRegistration(
    IServiceProvider services,
    AppHealth health,
    TimeProvider time,
    ILogger<AppRegistration> logger)
{
    private readonly EurekaHttpClient? _client = services.GetService<EurekaHttpClient>();
    private InstanceInfo? _instance;

    /// <summary>Whether a registry is configured (<c>Eureka:Client:ServiceUrl:DefaultZone</c>).</summary>
    public bool Enabled => _client is not null;

    /// <summary>Whether the app is registered now.</summary>
    public bool Registered { get; private set; }

    /// <summary>The status last sent.</summary>
    public string Status => _instance?.Status.ToString() ?? "NONE";

    /// <summary>The registry in use.</summary>
    public string? Server => _client?.CurrentServer.ToString();

    /// <summary>Registers (retrying with backoff until it succeeds or <paramref name="cancellationToken"/> fires).</summary>
    public async Task RegisterAsync(CancellationToken cancellationToken)
    {
        if (_client is null)
        {
            return;
        }
        var (instance, error) = services.GetRequiredService<InstanceInfoFactory>().Create();
        if (instance is null)
        {
            throw new InvalidOperationException(error);
        }
        var up = await health.IsUpAsync(cancellationToken).ConfigureAwait(false);
        _instance = instance with { Status = up ? InstanceStatus.UP : InstanceStatus.STARTING };
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await SendRegisterAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (EurekaServerException ex)
            {
                LogRegisterFailed(logger, instance.App, ex.Message);
            }
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, delay.Ticks * 2));
        }
    }

    /// <summary>Whether the app has not answered its health check yet since registration.</summary>
    public bool Starting => _instance?.Status == InstanceStatus.STARTING;

    /// <summary>Renews the lease and, when the app's health changed, sends the new status; with <paramref name="statusOnly"/> only a change is sent.</summary>
    public async Task RenewAsync(CancellationToken cancellationToken, bool statusOnly = false)
    {
        if (_client is null || _instance is not { } instance)
        {
            return;
        }
        var status = await health.IsUpAsync(cancellationToken).ConfigureAwait(false) ? InstanceStatus.UP : InstanceStatus.DOWN;
        if (instance.Status == InstanceStatus.STARTING && status == InstanceStatus.DOWN)
        {
            // Not up yet is starting, not down.
            status = InstanceStatus.STARTING;
        }
        if (status != instance.Status)
        {
            LogStatus(logger, instance.App, instance.Status.ToString(), status.ToString());
            _instance = instance with { Status = status, LastDirtyTimestamp = time.GetUtcNow().ToUnixTimeMilliseconds() };
            await SendRegisterAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        if (statusOnly)
        {
            return;
        }
        var answer = await _client.RenewAsync(instance, cancellationToken).ConfigureAwait(false);
        if (answer == HttpStatusCode.NotFound)
        {
            _instance = instance with { LastDirtyTimestamp = time.GetUtcNow().ToUnixTimeMilliseconds() };
            await SendRegisterAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Cancels the registration (bounded by the caller's token).</summary>
    public async Task DeregisterAsync(CancellationToken cancellationToken)
    {
        if (_client is null || _instance is not { } instance || !Registered)
        {
            return;
        }
        try
        {
            var status = await _client.CancelAsync(instance, cancellationToken).ConfigureAwait(false);
            Registered = false;
            LogDeregistered(logger, instance.App, instance.InstanceId, (int)status);
        }
        catch (Exception ex) when (ex is EurekaServerException or OperationCanceledException)
        {
            LogRegisterFailed(logger, instance.App, ex.Message);
        }
    }

    private async Task SendRegisterAsync(CancellationToken cancellationToken)
    {
        var instance = _instance!;
        var status = await _client!.RegisterAsync(instance, cancellationToken).ConfigureAwait(false);
        if ((int)status is < 200 or >= 300)
        {
            throw new EurekaServerException($"register answered {(int)status}", status);
        }
        Registered = true;
        LogRegistered(logger, instance.App, instance.InstanceId, instance.Port, instance.Status.ToString(), _client.CurrentServer);
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Registered {App} as {InstanceId} (port {Port}, {Status}) with {Registry}")]
    private static partial void LogRegistered(ILogger logger, string app, string instanceId, int port, string status, Uri registry);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Registering {App} failed: {Reason}")]
    private static partial void LogRegisterFailed(ILogger logger, string app, string reason);

    [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "{App} is now {Status} (was {Previous})")]
    private static partial void LogStatus(ILogger logger, string app, string previous, string status);

    [LoggerMessage(EventId = 33, Level = LogLevel.Information, Message = "Deregistered {App} {InstanceId} ({Status})")]
    private static partial void LogDeregistered(ILogger logger, string app, string instanceId, int status);
}
