using System.Buffers;
using System.Text.Json;
using Infrastructure.Gateway.Forwarding;
using Infrastructure.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Polly.CircuitBreaker;

namespace Infrastructure.Gateway.Dashboard;

/// <summary>
/// <c>/actuator/hystrix.stream</c>: Server-Sent Events, one <c>data: {json}</c> per route and per route instance in Hystrix's
/// HystrixCommand vocabulary (plus our fields), and one <c>Registry</c> event, every interval. All routes in one stream, as
/// Turbine aggregated them. Ends on client disconnect and on shutdown.
/// </summary>
internal sealed class HystrixStream(
    DashboardMetrics metrics,
    RegistryView registry,
    RouteLocator routes,
    InstanceAttempts attempts,
    IHostApplicationLifetime lifetime)
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Route ids and instance ids stay readable; the payload is JSON inside an event-stream, never HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private int _connections;

    public async Task StreamAsync(HttpContext context)
    {
        var options = metrics.Options;
        if (Interlocked.Increment(ref _connections) > options.MaxConcurrentConnections)
        {
            Interlocked.Decrement(ref _connections);
            await GatewayErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                $"MaxConcurrentConnections reached: {options.MaxConcurrentConnections} streams are open already");
            return;
        }
        try
        {
            var interval = options.StreamIntervalMilliseconds;
            if (context.Request.Query.TryGetValue("delay", out var delayText))
            {
                // Hystrix's ?delay=ms; too small a value would turn the stream into a busy loop.
                if (!int.TryParse(delayText, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out interval)
                    || interval is < 100 or > 60_000)
                {
                    await GatewayErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "delay must be an integer of milliseconds, 100..60000");
                    return;
                }
            }
            var response = context.Response;
            response.ContentType = "text/event-stream;charset=UTF-8";
            response.Headers.CacheControl = "no-cache, no-store, max-age=0, must-revalidate";
            response.Headers.Pragma = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            var token = stop.Token;
            var buffer = new ArrayBufferWriter<byte>(16 * 1024);
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(interval), metrics.Time);
            try
            {
                do
                {
                    buffer.ResetWrittenCount();
                    WriteBatch(buffer);
                    await response.Body.WriteAsync(buffer.WrittenMemory, token);
                    await response.Body.FlushAsync(token);
                }
                while (await timer.WaitForNextTickAsync(token));
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Client gone or the gateway stopping: the response ends here, cleanly.
            }
            catch (IOException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    }

    /// <summary>One batch: an event per route, then per instance of each route, then the registry view.</summary>
    public void WriteBatch(IBufferWriter<byte> output)
    {
        var table = routes.Current;
        metrics.Prune(id => table.Find(id) is not null);
        var now = metrics.Time.GetTimestamp();
        var currentTime = metrics.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var calls = attempts.Sample();
        var all = new List<RouteStats>(metrics.Routes);
        all.Sort(static (a, b) => string.CompareOrdinal(a.RouteId, b.RouteId));
        using var json = new Utf8JsonWriter(output, WriterOptions);
        foreach (var route in all)
        {
            var group = table.Find(route.RouteId)?.ServiceId ?? "static";
            Event(output, json, w => WriteCommand(w, route.RouteId, group, route.RouteId, null, route.Stats.Snapshot(now), route.InFlight, route.Circuit, currentTime));
            var instances = new List<InstanceStats>(route.Instances.Values);
            instances.Sort(static (a, b) => string.CompareOrdinal(a.InstanceId, b.InstanceId));
            foreach (var instance in instances)
            {
                var inFlight = calls.GetValueOrDefault(instance.InstanceId).InFlight;
                Event(output, json, w => WriteCommand(w, $"{route.RouteId}/{instance.InstanceId}", route.RouteId, route.RouteId, instance.InstanceId,
                    instance.Stats.Snapshot(now), inFlight, instance.Circuit, currentTime));
            }
        }
        Event(output, json, w => WriteRegistry(w, currentTime, calls));
    }

    private static void Event(IBufferWriter<byte> output, Utf8JsonWriter json, Action<Utf8JsonWriter> write)
    {
        output.Write("data: "u8);
        json.Reset(output);
        write(json);
        json.Flush();
        output.Write("\n\n"u8);
    }

    private void WriteCommand(Utf8JsonWriter w, string name, string group, string routeId, string? instanceId, StatsSnapshot s, long inFlight, CircuitEntry? circuit, long currentTime)
    {
        var state = circuit?.State;
        w.WriteStartObject();
        w.WriteString("type", "HystrixCommand");
        w.WriteString("name", name);
        w.WriteString("group", group);
        w.WriteNumber("currentTime", currentTime);
        w.WriteBoolean("isCircuitBreakerOpen", state is CircuitState.Open or CircuitState.HalfOpen or CircuitState.Isolated);
        w.WriteNumber("errorPercentage", s.ErrorPercentage);
        w.WriteNumber("errorCount", s.Errors);
        w.WriteNumber("requestCount", s.Requests);
        w.WriteNumber("rollingCountSuccess", s.Successes);
        w.WriteNumber("rollingCountFailure", s.Errors - s.Timeouts - s.ShortCircuited);
        w.WriteNumber("rollingCountTimeout", s.Timeouts);
        w.WriteNumber("rollingCountShortCircuited", s.ShortCircuited);
        w.WriteNumber("currentConcurrentExecutionCount", inFlight);
        // A proxy has no queue in front of the call: execution and total latency are the same figure.
        WriteLatency(w, "latencyExecute", s);
        WriteLatency(w, "latencyTotal", s);
        w.WriteNumber("propertyValue_metricsRollingStatisticalWindowInMilliseconds", metrics.Options.RollingStatsTimeInMilliseconds);
        w.WriteBoolean("propertyValue_circuitBreakerEnabled", circuit is not null);
        if (circuit?.Settings is { } settings)
        {
            w.WriteNumber("propertyValue_circuitBreakerRequestVolumeThreshold", settings.RequestVolumeThreshold);
            w.WriteNumber("propertyValue_circuitBreakerSleepWindowInMilliseconds", settings.SleepWindowInMilliseconds);
            w.WriteNumber("propertyValue_circuitBreakerErrorThresholdPercentage", settings.ErrorThresholdPercentage);
            w.WriteNumber("propertyValue_executionIsolationThreadTimeoutInMilliseconds", settings.TimeoutInMilliseconds);
        }
        w.WriteNumber("reportingHosts", 1);
        // Ours, beyond Hystrix's vocabulary.
        w.WriteString("route", routeId);
        if (instanceId is null)
        {
            w.WriteNull("instance");
        }
        else
        {
            w.WriteString("instance", instanceId);
        }
        if (circuit is null)
        {
            w.WriteNull("circuitName");
            w.WriteNull("circuitState");
            w.WriteNull("circuitChangedAt");
        }
        else
        {
            w.WriteString("circuitName", circuit.Name);
            w.WriteString("circuitState", StateName(state!.Value));
            w.WriteString("circuitChangedAt", DateTimeOffset.FromUnixTimeMilliseconds(circuit.ChangedAtUnixMs).UtcDateTime);
        }
        w.WriteNumber("rateLimited", s.RateLimited);
        w.WriteNumber("requestsPerSecond", Math.Round(s.RequestsPerSecond, 2));
        w.WriteNumber("latencyMeanMs", Math.Round(s.MeanMs, 2));
        w.WriteNumber("latencyP99Ms", Math.Round(s.P99Ms, 2));
        w.WriteNumber("latencyMaxMs", Math.Round(s.MaxMs, 2));
        w.WriteEndObject();
    }

    private static void WriteLatency(Utf8JsonWriter w, string name, StatsSnapshot s)
    {
        // Hystrix streams whole milliseconds.
        w.WriteNumber(name + "_mean", (long)Math.Round(s.MeanMs));
        w.WriteStartObject(name);
        for (var i = 0; i < StatsSnapshot.Percentiles.Length; i++)
        {
            w.WriteNumber(StatsSnapshot.Percentiles[i].Name, (long)Math.Round(s.PercentilesMs[i]));
        }
        w.WriteEndObject();
    }

    private void WriteRegistry(Utf8JsonWriter w, long currentTime, Dictionary<string, AttemptFigures> calls)
    {
        w.WriteStartObject();
        w.WriteString("type", "Registry");
        w.WriteNumber("currentTime", currentTime);
        w.WriteStartArray("apps");
        foreach (var (app, instances) in registry.Snapshot())
        {
            w.WriteStartObject();
            w.WriteString("name", app);
            var up = 0;
            foreach (var i in instances)
            {
                up += i.Status == RegistryView.Up ? 1 : 0;
            }
            w.WriteNumber("up", up);
            w.WriteStartArray("instances");
            foreach (var i in instances)
            {
                w.WriteStartObject();
                w.WriteString("instanceId", i.InstanceId);
                w.WriteString("status", i.Status);
                w.WriteString("homePageUrl", i.BaseUri.ToString());
                w.WriteString("lastSeenUp", i.LastSeenUp.UtcDateTime);
                var c = calls.GetValueOrDefault(i.InstanceId);
                w.WriteNumber("inFlight", c.InFlight);
                w.WriteNumber("attempts", c.Attempts);
                w.WriteNumber("attemptFailures", c.Failures);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    internal static string StateName(CircuitState state) => state switch
    {
        CircuitState.Closed => "CLOSED",
        CircuitState.Open => "OPEN",
        CircuitState.HalfOpen => "HALF_OPEN",
        _ => "ISOLATED",
    };
}
