using System.Diagnostics;
using OpenTelemetry.Context.Propagation;

namespace Infrastructure.ServiceDefaults.Telemetry;

/// <summary>
/// Zipkin B3 propagation (<c>X-B3-*</c> headers or the single <c>b3</c> header), the format Sleuth and Brave speak.
/// Unlike OpenTelemetry's own (obsolete) B3 propagator it writes a "not sampled" decision as <c>0</c> instead of
/// leaving it out (which B3 reads as "decide yourself", so a downstream would start traces its caller declined), and it
/// reads the debug flag as sampled.
/// </summary>
internal sealed class ZipkinB3Propagator(bool singleHeader) : TextMapPropagator
{
    internal const string TraceIdHeader = "X-B3-TraceId";
    internal const string SpanIdHeader = "X-B3-SpanId";
    internal const string ParentSpanIdHeader = "X-B3-ParentSpanId";
    internal const string SampledHeader = "X-B3-Sampled";
    internal const string FlagsHeader = "X-B3-Flags";
    internal const string SingleHeader = "b3";

    private static readonly HashSet<string> MultiFields = [TraceIdHeader, SpanIdHeader, ParentSpanIdHeader, SampledHeader, FlagsHeader];
    private static readonly HashSet<string> SingleFields = [SingleHeader];

    /// <inheritdoc />
    public override ISet<string> Fields => singleHeader ? SingleFields : MultiFields;

    /// <inheritdoc />
    public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter)
    {
        // An earlier propagator (W3C) already found a parent: that one wins.
        if (IsValid(context.ActivityContext) || carrier is null || getter is null)
        {
            return context;
        }
        var found = singleHeader ? ExtractSingle(First(getter(carrier, SingleHeader))) : ExtractMulti(carrier, getter);
        return found is { } activityContext ? new PropagationContext(activityContext, context.Baggage) : context;
    }

    /// <inheritdoc />
    public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter)
    {
        var activityContext = context.ActivityContext;
        if (!IsValid(activityContext) || carrier is null || setter is null)
        {
            return;
        }
        var sampled = (activityContext.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "1" : "0";
        var traceId = activityContext.TraceId.ToHexString();
        var spanId = activityContext.SpanId.ToHexString();
        if (singleHeader)
        {
            setter(carrier, SingleHeader, string.Concat(traceId, "-", spanId, "-", sampled));
            return;
        }
        setter(carrier, TraceIdHeader, traceId);
        setter(carrier, SpanIdHeader, spanId);
        setter(carrier, SampledHeader, sampled);
        // A forwarder copies its caller's headers; a copied parent id would name the caller's parent as the parent of
        // our span (OpenTelemetry does not send one, B3 allows leaving it out), so it goes.
        if (carrier is HttpRequestMessage request)
        {
            request.Headers.Remove(ParentSpanIdHeader);
        }
    }

    private static ActivityContext? ExtractMulti<T>(T carrier, Func<T, string, IEnumerable<string>?> getter)
    {
        var traceId = First(getter(carrier, TraceIdHeader));
        var spanId = First(getter(carrier, SpanIdHeader));
        if (traceId is null || spanId is null)
        {
            return null;
        }
        var sampled = First(getter(carrier, SampledHeader));
        var debug = First(getter(carrier, FlagsHeader)) == "1";
        return Create(traceId, spanId, debug || sampled is "1" or "true");
    }

    /// <summary><c>{traceId}-{spanId}[-{1|0|d}[-{parentSpanId}]]</c>; a lone sampling decision carries no parent.</summary>
    private static ActivityContext? ExtractSingle(string? value)
    {
        if (value is null)
        {
            return null;
        }
        var parts = value.Trim().Split('-');
        if (parts.Length is < 2 or > 4)
        {
            return null;
        }
        var sampled = parts.Length >= 3 && parts[2] is "1" or "d";
        return Create(parts[0], parts[1], sampled);
    }

    private static ActivityContext? Create(string traceId, string spanId, bool sampled)
    {
        traceId = traceId.Trim().ToLowerInvariant();
        spanId = spanId.Trim().ToLowerInvariant();
        if (traceId.Length == 16)
        {
            // 64-bit trace ids (Sleuth 1.x, many Zipkin tracers) are left-padded to W3C's 128 bits.
            traceId = string.Concat("0000000000000000", traceId);
        }
        if (traceId.Length != 32 || spanId.Length != 16 || !IsHex(traceId) || !IsHex(spanId)
            || traceId.All(c => c == '0') || spanId.All(c => c == '0'))
        {
            return null;
        }
        return new ActivityContext(
            ActivityTraceId.CreateFromString(traceId),
            ActivitySpanId.CreateFromString(spanId),
            sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None,
            isRemote: true);
    }

    private static bool IsValid(ActivityContext context) => context.TraceId != default && context.SpanId != default;

    private static bool IsHex(string s) => s.All(char.IsAsciiHexDigitLower);

    private static string? First(IEnumerable<string>? values) => values?.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
