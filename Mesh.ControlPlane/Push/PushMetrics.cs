using System.Diagnostics.Metrics;
using Infrastructure.Mesh.ControlPlane.Config;

namespace Infrastructure.Mesh.ControlPlane.Push;

/// <summary>istiod's pilot metrics on the <c>Infrastructure.Mesh.ControlPlane</c> meter (exported at <c>/actuator/prometheus</c>).</summary>
internal sealed class PushMetrics
{
    /// <summary>Meter name; ServiceDefaults exports every <c>Infrastructure.*</c> meter.</summary>
    public const string MeterName = "Infrastructure.Mesh.ControlPlane";

    private readonly Counter<long> _pushes;
    private readonly Counter<long> _rejects;
    private readonly Counter<long> _csrs;

    public PushMetrics(IMeterFactory meters, ProxyRegistry proxies, ResourceStore store)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("pilot.xds", () => proxies.Count, description: "Connected proxies (istiod's pilot_xds)");
        meter.CreateObservableGauge("pilot.config.resources", () => store.Current.Resources.Count, description: "Resources in force");
        meter.CreateObservableGauge("pilot.config.rejected", () => store.Current.Rejected.Count, description: "Resource problems in the last read of every source");
        _pushes = meter.CreateCounter<long>("pilot.xds.pushes", description: "Pushes sent, by type (istiod's pilot_xds_pushes)");
        _rejects = meter.CreateCounter<long>("pilot.total.xds.rejects", description: "NACKs received, by type (istiod's pilot_total_xds_rejects)");
        _csrs = meter.CreateCounter<long>("citadel.server.csr.count", description: "Certificate requests, by outcome (istiod's citadel_server_csr_count)");
    }

    public void Pushed(string typeUrl) => _pushes.Add(1, new KeyValuePair<string, object?>("type", Kind(typeUrl)));

    public void Rejected(string typeUrl) => _rejects.Add(1, new KeyValuePair<string, object?>("type", Kind(typeUrl)));

    public void CertificateRequest(bool issued) => _csrs.Add(1, new KeyValuePair<string, object?>("outcome", issued ? "issued" : "refused"));

    private static string Kind(string typeUrl) => typeUrl[(typeUrl.LastIndexOf('/') + 1)..];
}
