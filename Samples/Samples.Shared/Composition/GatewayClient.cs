using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Infrastructure.Samples.Shared.Composition;

/// <summary>What a BFF gets back from one downstream call through the gateway.</summary>
/// <param name="Status">HTTP status (0 when the gateway could not be reached).</param>
/// <param name="Body">The JSON body, when there was one.</param>
public sealed record DownstreamResult(HttpStatusCode Status, JsonElement? Body)
{
    /// <summary>Whether the call succeeded.</summary>
    public bool Ok => (int)Status is >= 200 and < 300;
}

/// <summary>Calls services through the Gateway with the user's access token; the BFFs compose these answers.</summary>
public sealed class GatewayClient(HttpClient http)
{
    /// <summary>Sends a request through the gateway; failures come back as a status, never as an exception.</summary>
    public async Task<DownstreamResult> SendAsync(HttpMethod method, string path, string? accessToken, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }
        if (body is not null)
        {
            request.Content = System.Net.Http.Json.JsonContent.Create(body);
        }
        try
        {
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonElement? json = null;
            if (text.Length > 0)
            {
                try { json = JsonDocument.Parse(text).RootElement.Clone(); }
                catch (JsonException) { json = JsonSerializer.SerializeToElement(new { error = text }); }
            }
            return new DownstreamResult(response.StatusCode, json);
        }
        catch (HttpRequestException e)
        {
            return new DownstreamResult(0, JsonSerializer.SerializeToElement(new { error = "gateway unreachable: " + e.Message }));
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new DownstreamResult(HttpStatusCode.GatewayTimeout, JsonSerializer.SerializeToElement(new { error = "gateway timed out" }));
        }
    }
}
