using OpenTelemetry.Instrumentation.StackExchangeRedis;
using StackExchange.Redis;

namespace Infrastructure.ServiceDefaults.Telemetry;

/// <summary>
/// Redis spans for connections a component creates itself (outside DI). A <see cref="IConnectionMultiplexer"/> registered
/// in DI is traced without this; any other one is handed to the process's Redis instrumentation here.
/// </summary>
public static class RedisTracing
{
    private static readonly Lock Gate = new();
    private static readonly List<IConnectionMultiplexer> Pending = [];
    private static StackExchangeRedisInstrumentation? s_instrumentation;

    /// <summary>Connects (as <see cref="ConnectionMultiplexer.ConnectAsync(string, TextWriter?)"/>) and traces the connection's commands.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(string configuration) =>
        Track(await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false));

    /// <summary>Traces the commands of <paramref name="connection"/>; returns it.</summary>
    public static T Track<T>(T connection) where T : IConnectionMultiplexer
    {
        ArgumentNullException.ThrowIfNull(connection);
        lock (Gate)
        {
            if (s_instrumentation is null)
            {
                // Created before the tracer provider was built: attached when it is.
                Pending.Add(connection);
                return connection;
            }
            try
            {
                s_instrumentation.AddConnection(connection);
            }
            catch (ObjectDisposedException)
            {
                // That host has stopped (several hosts in one test process): the next one to build a tracer gets it.
                s_instrumentation = null;
                Pending.Add(connection);
            }
        }
        return connection;
    }

    /// <summary>
    /// Called when the tracer provider builds its Redis instrumentation. Process-wide, like the propagator: with several
    /// hosts in one process (tests) the latest one traces the connections handed over afterwards.
    /// </summary>
    internal static void Attach(StackExchangeRedisInstrumentation instrumentation)
    {
        lock (Gate)
        {
            s_instrumentation = instrumentation;
            foreach (var c in Pending) { instrumentation.AddConnection(c); }
            Pending.Clear();
        }
    }
}
