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

    private static CompositeTextMapPropagator Create()
    {
        // B3Propagator is marked obsolete in OpenTelemetry.Api in favour of OpenTelemetry.Extensions.Propagators, which the
        // package feed does not serve; the API's copy is the same implementation and still ships in 1.20.
#pragma warning disable CS0618
        return new CompositeTextMapPropagator(
        [
            new TraceContextPropagator(),
            new BaggagePropagator(),
            new B3Propagator(singleHeader: false),
            new B3Propagator(singleHeader: true),
        ]);
#pragma warning restore CS0618
    }
}
