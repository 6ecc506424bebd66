using System.Net.Http.Headers;
using System.Text.Json;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>Client-credentials tokens for the lab's <c>lab-client</c> from a lab's Auth.Server.</summary>
internal static class LabTokens
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<string> ClientCredentialsAsync(int authPort, string scopes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{authPort}/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = scopes }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("lab-client:lab-secret"u8.ToArray()));
        using var r = await Http.SendAsync(request);
        Assert.True(r.IsSuccessStatusCode, $"token request: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("access_token").GetString()!;
    }
}
