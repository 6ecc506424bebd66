using System.Net.Http.Headers;
using Infrastructure.Eureka.Protocol;

namespace Infrastructure.Mesh.ControlPlane.Analysis;

/// <summary>
/// Reads the registered instances from Discovery.Server (<c>GET {serviceUrl}apps/</c>, decoded by Eureka.Protocol's reader) as
/// workloads: app name lower-cased, labels = the instance's metadata plus <c>app</c>. Only UP instances count.
/// </summary>
internal static class EurekaWorkloads
{
    public static async Task<IReadOnlyList<Workload>> ReadAsync(HttpClient http, Uri serviceUrl, CancellationToken cancellationToken)
    {
        var baseUrl = serviceUrl.AbsoluteUri.EndsWith('/') ? serviceUrl : new Uri(serviceUrl.AbsoluteUri + "/");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ServiceUrlCredentials.WithoutUserInfo(baseUrl), "apps/"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (ServiceUrlCredentials.FromUserInfo(baseUrl) is { } credentials)
        {
            request.Headers.Authorization = credentials;
        }
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var document = ApplicationsReader.Parse(body);
        return document.Instances
            .Where(i => i.Status == InstanceStatus.UP)
            .Select(i =>
            {
                var app = i.App.ToLowerInvariant();
                var labels = new Dictionary<string, string>(i.Metadata, StringComparer.Ordinal) { ["app"] = app };
                return new Workload(app, i.InstanceId, labels);
            })
            .ToList();
    }

    /// <summary>The first registry URL of <c>Eureka:Client:ServiceUrl:DefaultZone</c> (a comma-separated list), or null.</summary>
    public static Uri? FirstServiceUrl(string? defaultZone) =>
        defaultZone?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null)
            .FirstOrDefault(u => u is not null);
}
