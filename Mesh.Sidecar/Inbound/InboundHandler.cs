using System.Diagnostics;
using System.Globalization;
using Infrastructure.Mesh.Sidecar.Certificates;
using Infrastructure.Mesh.Sidecar.Forwarding;
using Infrastructure.Mesh.Sidecar.Hosting;
using Infrastructure.Mesh.Sidecar.Outbound;
using Infrastructure.Mesh.Sidecar.Telemetry;
using Infrastructure.Mesh.Sidecar.Xds;
using Microsoft.Extensions.Options;
using MtlsMode = Infrastructure.Mesh.Api.PeerAuthentication.Types.MutualTLS.Types.Mode;

namespace Infrastructure.Mesh.Sidecar.Inbound;

/// <summary>
/// Port 15006 after the connection pipeline: authorizes with the caller's SPIFFE principal (403 <c>RBAC: access denied</c>
/// as Envoy answers), records Istio's metrics and a server span, and forwards to the app on loopback.
/// </summary>
internal sealed partial class InboundHandler(
    ConfigStore config,
    MeshForwarder forwarder,
    UpstreamClients clients,
    MeshTelemetry telemetry,
    WorkloadIdentity identity,
    InFlight inFlight,
    IOptions<SidecarOptions> options,
    ILogger<InboundHandler> logger)
{
    private readonly string _appPrefix = $"http://127.0.0.1:{options.Value.AppPort.ToString(CultureInfo.InvariantCulture)}";
    private readonly IReadOnlyDictionary<string, string> _labels = options.Value.Labels();
    private volatile ModeOfConfig? _mode;
    private readonly string _service = $"{identity.App}.{SidecarOptions.Namespace}.svc.{SidecarOptions.TrustDomain}";

    public async Task HandleAsync(HttpContext context)
    {
        inFlight.Enter(context);
        var started = Stopwatch.GetTimestamp();
        string? principal = null;
        try
        {
            var mtls = context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items.TryGetValue(InboundListener.MutualTlsItem, out var v) == true && v is true;
            var mode = Mode();
            if ((!mtls && mode == MtlsMode.Strict) || (mtls && mode == MtlsMode.Disable))
            {
                // A connection accepted under the previous mode: it goes when the mode changes, as Envoy drains it.
                context.Abort();
                return;
            }
            principal = mtls ? SpiffeIds.Principal(SpiffeIds.Of(context.Connection.ClientCertificate)) : null;
            var request = context.Request;
            var decision = AuthorizationEvaluator.Evaluate(config.Current, _labels, new AuthorizationRequest(
                principal,
                context.Connection.RemoteIpAddress,
                request.Method,
                request.Path.Value ?? "/",
                request.Host.Host,
                options.Value.AppPort,
                name => request.Headers.TryGetValue(name, out var h) ? h.ToString() : null));
            var activity = Activity.Current;
            activity?.SetTag("istio.mesh_id", "cluster.local");
            activity?.SetTag("peer.principal", principal);
            if (!decision.Allowed)
            {
                LogDenied(logger, request.Method, request.Path.Value ?? "/", principal ?? "(plaintext)", decision.Policy ?? "no ALLOW policy matched");
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("RBAC: access denied", context.RequestAborted).ConfigureAwait(false);
                return;
            }
            var mine = $"By={identity.SpiffeId}";
            var result = await forwarder.SendAsync(context, _appPrefix, clients.Plain, new AttemptOptions(
                request.Host.Value ?? identity.App,
                Headers: r =>
                {
                    // What Envoy tells the app about the caller; never what a plaintext caller claims.
                    r.Headers.Remove("x-forwarded-client-cert");
                    if (principal is not null)
                    {
                        r.Headers.TryAddWithoutValidation("x-forwarded-client-cert", $"{mine};URI=spiffe://{principal}");
                    }
                    MeshForwarder.WriteTraceHeaders(r, activity);
                }), context.RequestAborted).ConfigureAwait(false);
            if (result.Outcome is AttemptOutcome.ConnectFailure or AttemptOutcome.Reset or AttemptOutcome.Timeout)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("upstream connect error or disconnect/reset before headers. reset reason: connection failure", context.RequestAborted).ConfigureAwait(false);
            }
        }
        finally
        {
            inFlight.Leave();
            telemetry.Record(new RequestLabels(
                "destination",
                SpiffeIds.Workload(principal) ?? "unknown",
                principal is null ? "unknown" : $"spiffe://{principal}",
                identity.App,
                _service,
                context.Response.StatusCode), Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>The mode in force, computed once per config.</summary>
    private MtlsMode Mode()
    {
        var current = config.Current;
        if (_mode is { } cached && ReferenceEquals(cached.Config, current))
        {
            return cached.Mode;
        }
        var mode = PeerAuthenticationMode.For(current, _labels, options.Value.AppPort);
        _mode = new ModeOfConfig(current, mode);
        return mode;
    }

    private sealed record ModeOfConfig(MeshConfig Config, MtlsMode Mode);

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "RBAC: denied {Method} {Path} from {Principal} ({Policy})")]
    private static partial void LogDenied(ILogger logger, string method, string path, string principal, string policy);
}
