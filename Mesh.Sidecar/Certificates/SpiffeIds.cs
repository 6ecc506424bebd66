using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Infrastructure.Mesh.Sidecar.Certificates;

/// <summary>Reads the URI SANs of a certificate (the SAN extension class lists DNS names and IPs only).</summary>
internal static class SpiffeIds
{
    private const string SanOid = "2.5.29.17";

    /// <summary>The first <c>spiffe://</c> URI SAN, or null.</summary>
    public static string? Of(X509Certificate2? certificate)
    {
        if (certificate?.Extensions[SanOid] is not { } ext)
        {
            return null;
        }
        try
        {
            var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            var uri = new Asn1Tag(TagClass.ContextSpecific, 6);
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(uri))
                {
                    var value = names.ReadCharacterString(UniversalTagNumber.IA5String, uri);
                    if (value.StartsWith("spiffe://", StringComparison.OrdinalIgnoreCase))
                    {
                        return value;
                    }
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            return null;
        }
        return null;
    }

    /// <summary>Istio's principal: the SPIFFE id without its scheme (<c>cluster.local/ns/default/sa/productpage</c>).</summary>
    public static string? Principal(string? spiffeId) =>
        spiffeId is not null && spiffeId.StartsWith("spiffe://", StringComparison.OrdinalIgnoreCase) ? spiffeId["spiffe://".Length..] : null;

    /// <summary>The service account (the workload's app here) in a principal, or null.</summary>
    public static string? Workload(string? principal)
    {
        var at = principal?.LastIndexOf("/sa/", StringComparison.Ordinal) ?? -1;
        return at < 0 ? null : principal![(at + 4)..];
    }
}
