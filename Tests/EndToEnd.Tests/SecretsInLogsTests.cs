using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Infrastructure.Testing;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>No configured secret and no token appears in any line any lab process wrote.</summary>
[Collection(LabCollection.Name)]
public sealed partial class SecretsInLogsTests(LabFixture fixture)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task FullLab_TrafficWithTokensAndSecrets_NoSecretInAnyProcessOutput()
    {
        Assert.False(fixture.Lab.HasExited, fixture.Lab.Output);
        // Traffic that carries every kind of secret: client credentials (Basic), bearer tokens through the gateway to
        // order and catalog, a token introspected with an API secret, a rejected secret.
        var token = await FullLabTests.TokenAsync("catalog.read order.read order.write");
        using (var r = await Send(HttpMethod.Get, "http://127.0.0.1:8080/catalog/api/products", token))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        using (var r = await Send(HttpMethod.Post, "http://127.0.0.1:8080/order/api/orders", token, new { items = new[] { new { productId = 1, quantity = 1 } } }))
        {
            Assert.True(r.StatusCode == HttpStatusCode.Created, $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }
        using (var introspect = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:9000/connect/introspect"))
        {
            introspect.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token });
            introspect.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("catalog:catalog-secret"u8.ToArray()));
            using var r = await Http.SendAsync(introspect);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:9000/connect/token"))
        {
            wrong.Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = "lab-client", ["client_secret"] = "a-wrong-secret-4711",
            });
            using var r = await Http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        // Let the processes' log lines for that traffic reach the lab's output.
        await Task.Delay(TimeSpan.FromSeconds(2));

        var output = fixture.Lab.Output;
        var secrets = ConfiguredSecrets().Append("a-wrong-secret-4711").Append(token).ToList();
        Assert.True(secrets.Count >= 4, "expected the lab's client and API secrets in Auth.Server's settings");
        foreach (var secret in secrets)
        {
            Assert.False(output.Contains(secret, StringComparison.Ordinal), $"a secret ({secret[..Math.Min(6, secret.Length)]}...) is in the lab's output");
        }
        // No JWT of any kind (a header {"alg":... starts eyJ) and no Authorization header value.
        Assert.DoesNotMatch(Jwt(), output);
        Assert.DoesNotMatch(AuthorizationValue(), output);
    }

    private static async Task<HttpResponseMessage> Send(HttpMethod method, string url, string token, object? body = null)
    {
        using var m = new HttpRequestMessage(method, url);
        m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            m.Content = JsonContent.Create(body);
        }
        return await Http.SendAsync(m);
    }

    // Every ClientSecrets/ApiSecrets value in Auth.Server's settings files, wherever the lab's data lives.
    private static IEnumerable<string> ConfiguredSecrets()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "Auth.Server"), "appsettings*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            foreach (var value in SecretValues(doc.RootElement, inSecrets: false))
            {
                yield return value;
            }
        }
    }

    private static IEnumerable<string> SecretValues(JsonElement e, bool inSecrets)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    if (inSecrets && p.Name == "Value" && p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is { Length: >= 6 } v)
                    {
                        yield return v;
                    }
                    foreach (var s in SecretValues(p.Value, inSecrets || p.Name is "ClientSecrets" or "ApiSecrets"))
                    {
                        yield return s;
                    }
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    foreach (var s in SecretValues(item, inSecrets))
                    {
                        yield return s;
                    }
                }
                break;
        }
    }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.")]
    private static partial Regex Jwt();

    [GeneratedRegex(@"(?i)\b(Bearer|Basic) [A-Za-z0-9+/=._-]{16,}")]
    private static partial Regex AuthorizationValue();
}
