using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Infrastructure.ServiceDefaults.Telemetry;

namespace Infrastructure.Mesh.Sidecar.Telemetry;

/// <summary>The labels of Istio's standard metrics for one request.</summary>
internal readonly record struct RequestLabels(
    string Reporter,
    string SourceWorkload,
    string SourcePrincipal,
    string DestinationWorkload,
    string DestinationService,
    int ResponseCode);

/// <summary>Istio's standard metrics (<c>istio_requests_total</c>, <c>istio_request_duration_milliseconds</c>) and the sidecar's spans.</summary>
internal sealed class MeshTelemetry : IDisposable
{
    public const string Name = TelemetryExtensions.SourcePrefix + "Mesh.Sidecar";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public MeshTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _requests = _meter.CreateCounter<long>("istio_requests_total", description: "Requests handled by the sidecar, as Istio counts them.");
        _duration = _meter.CreateHistogram<double>("istio_request_duration_milliseconds", description: "Request duration as the sidecar saw it, in milliseconds.");
    }

    public static ActivitySource Source { get; } = new(Name);

    public void Record(in RequestLabels labels, TimeSpan elapsed)
    {
        var tags = new TagList
        {
            { "reporter", labels.Reporter },
            { "source_workload", labels.SourceWorkload },
            { "source_principal", labels.SourcePrincipal },
            { "destination_workload", labels.DestinationWorkload },
            { "destination_service", labels.DestinationService },
            { "response_code", labels.ResponseCode.ToString(CultureInfo.InvariantCulture) },
        };
        _requests.Add(1, tags);
        _duration.Record(elapsed.TotalMilliseconds, tags);
    }

    public void Dispose() => _meter.Dispose();
}
