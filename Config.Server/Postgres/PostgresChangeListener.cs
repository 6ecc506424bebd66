using Infrastructure.Config.Server.Monitor;
using Infrastructure.ServiceDefaults.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Infrastructure.Config.Server.Postgres;

/// <summary>
/// Creates the schema, then <c>LISTEN</c>s on the notify channel and publishes a refresh event for each committed write —
/// from whichever replica made it, so every Config.Server on the same database tells its own subscribers.
/// </summary>
internal sealed partial class PostgresChangeListener(
    PostgresEnvironmentRepository repository, IOptions<PostgresOptions> options, RefreshEventBus bus, ILogger<PostgresChangeListener> logger) : BackgroundService
{
    /// <summary>Completed once the schema exists and the first LISTEN is active.</summary>
    internal TaskCompletionSource Listening { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The tables must exist before the first request; a database that is down here fails the start loudly.
        await repository.EnsureSchemaAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(PostgresWaits.Bounded(options.Value.ConnectionString!));
                await conn.OpenAsync(stoppingToken);
                conn.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN \"{options.Value.NotifyChannel.Replace("\"", "", StringComparison.Ordinal)}\"", conn))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                Listening.TrySetResult();
                delay = TimeSpan.FromSeconds(1);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await conn.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
            {
                LogListenFailed(logger, e.Message, delay);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Anything unforeseen is logged with its stack and the listener reconnects, instead of ending for good.
                LogListenCrashed(logger, e, delay);
            }
            try
            {
                await Task.Delay(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    private void OnNotification(string payload)
    {
        var parts = payload.Split('\t');
        if (parts.Length < 2)
        {
            return;
        }
        var (app, profile) = (parts[0], parts[1]);
        var name = app == "application" ? "*" : app;
        IReadOnlyList<string> destinations = profile == "default" ? [name] : [name + ":" + profile];
        bus.Publish(destinations, [$"{app}-{profile}"], "postgres notify");
    }

    [LoggerMessage(EventId = 1702, Level = LogLevel.Warning, Message = "LISTEN connection failed ({Error}); retrying in {Delay}")]
    private static partial void LogListenFailed(ILogger logger, string error, TimeSpan delay);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Error, Message = "PostgreSQL change listener failed unexpectedly; reconnecting in {Delay}")]
    private static partial void LogListenCrashed(ILogger logger, Exception exception, TimeSpan delay);
}
