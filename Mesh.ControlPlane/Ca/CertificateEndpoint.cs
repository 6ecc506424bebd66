using Grpc.Core;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.ControlPlane.Push;

namespace Infrastructure.Mesh.ControlPlane.Ca;

/// <summary><c>IstioCertificateService.CreateCertificate</c>: a PEM CSR in, [leaf, root] out; a bad CSR is INVALID_ARGUMENT with the reason.</summary>
internal sealed partial class CertificateEndpoint(MeshCertificateAuthority ca, PushMetrics metrics, ILogger<CertificateEndpoint> logger) : IstioCertificateService.IstioCertificateServiceBase
{
    public override Task<IstioCertificateResponse> CreateCertificate(IstioCertificateRequest request, ServerCallContext context)
    {
        try
        {
            var requested = request.ValidityDuration > 0 ? TimeSpan.FromSeconds(request.ValidityDuration) : (TimeSpan?)null;
            var chain = ca.Sign(request.Csr, requested);
            var response = new IstioCertificateResponse();
            response.CertChain.AddRange(chain);
            metrics.CertificateRequest(issued: true);
            LogIssued(context.Peer);
            return Task.FromResult(response);
        }
        catch (CertificateRequestException ex)
        {
            metrics.CertificateRequest(issued: false);
            LogRefused(context.Peer, ex.Message);
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }
    }

    [LoggerMessage(EventId = 22, Level = LogLevel.Debug, Message = "Mesh CA: issued a certificate to {Peer}")]
    private partial void LogIssued(string peer);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "Mesh CA: refused a CSR from {Peer}: {Reason}")]
    private partial void LogRefused(string peer, string reason);
}
