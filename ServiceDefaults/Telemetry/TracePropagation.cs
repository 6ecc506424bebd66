using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace Infrastructure.ServiceDefaults.Telemetry;

/// <summary>Trace-context propagation: W3C <c>traceparent</c>/<c>tracestate</c>, W3C baggage and Zipkin B3 (multi-header and single <c>b3</c>).</summary>
public static class TracePropagation
{
    /// <summary>
    /// The propagator every process uses. Extraction takes the first valid context in order (W3C, then B3 multi-header,
    /// then single <c>b3</c>), so a Sleuth or Zipkin-instrumented caller joins the trace; injection writes all of them,
    /// so a downstream that only speaks one of them still joins.
    /// </summary>
    public static TextMapPropagator Propagator { get; } = Create();

    /// <summary>Makes <see cref="Propagator"/> the process-wide default used by the ASP.NET Core and HttpClient instrumentation.</summary>
    public static void Install() => Sdk.SetDefaultTextMapPropagator(Propagator);

    private static CompositeTextMapPropagator Create() => new(
    [
        new TraceContextPropagator(),
        new BaggagePropagator(),
        // Our own B3 (OpenTelemetry's is obsolete, and drops a "not sampled" decision on injection).
        new ZipkinB3Propagator(singleHeader: false),
        new ZipkinB3Propagator(singleHeader: true),
    ]);
}
