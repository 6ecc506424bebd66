using System.Text.Json;

namespace Infrastructure.Samples.Lab;

/// <summary>Decides when a lab instance is ready: its health says UP and, for a registering service, the registry lists it UP.</summary>
internal sealed class Readiness(HttpClient http)
{
    public async Task<bool> IsHealthyAsync(Uri health, CancellationToken ct)
    {
        try
        {
            using var r = await http.GetAsync(health, ct);
            return r.IsSuccessStatusCode;
        }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return false; }
    }

    /// <summary>Whether <paramref name="url"/> answers 2xx (the dashboard's read API, Prometheus' <c>/-/ready</c>).</summary>
    public async Task<bool> AnswersAsync(Uri url, CancellationToken ct)
    {
        try
        {
            using var r = await http.GetAsync(url, ct);
            return r.IsSuccessStatusCode;
        }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return false; }
    }

    public async Task<bool> IsRegisteredUpAsync(Uri discovery, string app, int port, CancellationToken ct)
    {
        try
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(discovery, $"eureka/apps/{app}"));
            req.Headers.Accept.ParseAdd("application/json");
            using var r = await http.SendAsync(req, ct);
            if (!r.IsSuccessStatusCode) { return false; }
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct));
            var instances = doc.RootElement.GetProperty("application").GetProperty("instance");
            foreach (var i in instances.ValueKind == JsonValueKind.Array ? instances.EnumerateArray() : Enumerable.Repeat(instances, 1))
            {
                var p = i.GetProperty("port").GetProperty("$");
                var instancePort = p.ValueKind == JsonValueKind.Number ? p.GetInt32() : int.Parse(p.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                if (instancePort == port && i.GetProperty("status").GetString() == "UP") { return true; }
            }
            return false;
        }
        catch (HttpRequestException) { return false; }
        catch (JsonException) { return false; }
        catch (KeyNotFoundException) { return false; }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return false; }
    }
}
