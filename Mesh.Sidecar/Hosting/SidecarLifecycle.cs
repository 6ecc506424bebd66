using System.Globalization;
using Infrastructure.Hosting.Processes;
using Infrastructure.Mesh.Sidecar.Certificates;
using Infrastructure.Mesh.Sidecar.Registration;
using Infrastructure.Mesh.Sidecar.Xds;
using Microsoft.Extensions.Options;

namespace Infrastructure.Mesh.Sidecar.Hosting;

/// <summary>The app's command line, after <c>--</c> (empty when the app is started some other way).</summary>
internal sealed record AppCommand(IReadOnlyList<string> Arguments);

/// <summary>
/// The sidecar's life: listeners up → certificate → first config push → registration → ready → start the app
/// (holdApplicationUntilProxyStarts); exit with the app; on SIGTERM or /quitquitquit one drain deadline covers
/// deregistration, in-flight requests and the app's own stop.
/// </summary>
internal sealed partial class SidecarLifecycle(
    IHostApplicationLifetime lifetime,
    WorkloadCertificates certificates,
    ConfigStore config,
    AppRegistration registration,
    InFlight inFlight,
    AppCommand command,
    IOptions<SidecarOptions> options,
    TimeProvider time,
    ILogger<SidecarLifecycle> logger) : BackgroundService
{
    private static readonly TimeSpan StartingProbe = TimeSpan.FromMilliseconds(200);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ChildProcess? _app;

    /// <summary>Whether /ready answers 200.</summary>
    public bool IsReady => _ready.Task.IsCompleted && !Draining;

    /// <summary>Whether shutdown has begun.</summary>
    public bool Draining { get; private set; }

    /// <summary>The app's exit code once it has exited on its own (the sidecar's exit code then).</summary>
    public int? AppExitCode { get; private set; }

    /// <summary>What the sidecar is waiting for, for /ready's body.</summary>
    public string Stage { get; private set; } = "starting listeners";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WhenStarted(stoppingToken).ConfigureAwait(false);
            Stage = "waiting for a certificate from the CA";
            await certificates.FirstIssued.WaitAsync(stoppingToken).ConfigureAwait(false);
            Stage = "waiting for the first config push";
            await config.FirstPush.WaitAsync(stoppingToken).ConfigureAwait(false);
            Stage = "registering";
            await registration.RegisterAsync(stoppingToken).ConfigureAwait(false);
            Stage = "ready";
            _ready.TrySetResult();
            LogReady(logger, options.Value.AppName);
            if (command.Arguments.Count > 0)
            {
                StartApp();
            }
            var renew = TimeSpan.FromSeconds(Math.Min(30, options.Value.HealthInterval.TotalSeconds));
            var renewAt = time.GetUtcNow() + renew;
            var exited = _app is null ? Task.Delay(Timeout.InfiniteTimeSpan, stoppingToken) : _app.WaitForExitAsync(Timeout.InfiniteTimeSpan);
            while (!stoppingToken.IsCancellationRequested)
            {
                // While the app starts, its health is looked at often so callers find it UP soon after it listens.
                var starting = registration.Starting && time.GetUtcNow() < renewAt;
                var tick = Task.Delay(starting ? StartingProbe : renew, time, stoppingToken);
                if (await Task.WhenAny(exited, tick).ConfigureAwait(false) == exited && _app is { HasExited: true } app)
                {
                    AppExitCode = app.ExitCode;
                    LogAppExited(logger, app.ExitCode);
                    lifetime.StopApplication();
                    return;
                }
                try
                {
                    var due = time.GetUtcNow() >= renewAt;
                    await registration.RenewAsync(stoppingToken, statusOnly: !due).ConfigureAwait(false);
                    if (due)
                    {
                        renewAt = time.GetUtcNow() + renew;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRenewFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down before or while running.
        }
    }

    private void StartApp()
    {
        var o = options.Value;
        var spec = new ProcessSpec(command.Arguments[0], command.Arguments.Skip(1))
        {
            KeepLines = 0,
            // The app's output is the sidecar's: one log stream per workload, as a container's would be.
            OnLine = line => (line.IsError ? Console.Error : Console.Out).WriteLine(line.Text),
        };
        var outbound = o.OutboundPort.ToString(CultureInfo.InvariantCulture);
        spec.Environment["MESH_OUTBOUND_PORT"] = outbound;
        spec.Environment["HTTP_PROXY"] = $"http://127.0.0.1:{outbound}";
        spec.Environment["http_proxy"] = $"http://127.0.0.1:{outbound}";
        spec.Environment["NO_PROXY"] = "localhost,127.0.0.1";
        spec.Environment["no_proxy"] = "localhost,127.0.0.1";
        spec.Environment["PORT"] = o.AppPort.ToString(CultureInfo.InvariantCulture);
        // The app's launcher is this sidecar: a .NET app here stops if the sidecar is killed (ServiceDefaults' watchdog).
        spec.Environment["INFRA_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        _app = ChildProcess.Start(spec);
        LogAppStarted(logger, string.Join(' ', command.Arguments), _app.Pid);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        Draining = true;
        inFlight.Draining = true;
        var deadline = time.GetUtcNow() + options.Value.DrainDuration;
        LogDraining(logger, options.Value.DrainDuration);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(Remaining(deadline));
        // Out of the registry first, so callers stop choosing this instance while it finishes what it has.
        await registration.DeregisterAsync(bounded.Token).ConfigureAwait(false);
        await inFlight.WaitForNoneAsync(Remaining(deadline), time).ConfigureAwait(false);
        if (_app is { HasExited: false } app)
        {
            await app.StopAsync(Remaining(deadline) + TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        }
        _app?.Dispose();
    }

    private TimeSpan Remaining(DateTimeOffset deadline)
    {
        var left = deadline - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private Task WhenStarted(CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(cancellationToken).ContinueWith(t => { registration.Dispose(); return t; }, TaskScheduler.Default).Unwrap();
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Sidecar of {App} is ready")]
    private static partial void LogReady(ILogger logger, string app);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Started the app: {Command} (pid {Pid})")]
    private static partial void LogAppStarted(ILogger logger, string command, int pid);

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "The app exited with code {ExitCode}; stopping the sidecar")]
    private static partial void LogAppExited(ILogger logger, int exitCode);

    [LoggerMessage(EventId = 43, Level = LogLevel.Information, Message = "Draining for at most {Deadline}")]
    private static partial void LogDraining(ILogger logger, TimeSpan deadline);

    [LoggerMessage(EventId = 44, Level = LogLevel.Warning, Message = "Renewing the registration failed: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string reason);
}

/// <summary>Requests being handled on the inbound and outbound ports, so the drain knows when they are done.</summary>
internal sealed class InFlight
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Set when the drain begins: answers ask their clients to close the connection (Envoy's drain), so none is reused.</summary>
    public bool Draining { get; set; }

    public void Enter() => Interlocked.Increment(ref _count);

    /// <summary>Counts a request in, and asks its client to close the connection when draining.</summary>
    public void Enter(HttpContext context)
    {
        Enter();
        if (Draining)
        {
            context.Response.Headers.Connection = "close";
        }
    }

    public void Leave() => Interlocked.Decrement(ref _count);

    public async Task WaitForNoneAsync(TimeSpan timeout, TimeProvider time)
    {
        var end = time.GetUtcNow() + timeout;
        while (Count > 0 && time.GetUtcNow() < end)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), time).ConfigureAwait(false);
        }
    }
}
