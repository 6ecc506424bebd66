using System.Net;
using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Testing;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>A real Auth.Server process started as a deployment starts it: Production, configured only through environment variables.</summary>
public sealed class ProductionConfigurationTests
{
    private static Dictionary<string, string?> Production(params (string Key, string Value)[] settings)
    {
        var env = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Auth__SigningKeys__Path"] = Path.Combine(Path.GetTempPath(), "auth-production-" + Guid.NewGuid().ToString("N")),
        };
        foreach (var (k, v) in settings)
        {
            env[k] = v;
        }
        return env;
    }

    [Fact]
    public async Task Production_OneClientFromEnvironmentVariables_IssuesItsTokens_LabClientAndUsersAbsent()
    {
        await using var server = await ServerProcess.StartAsync("Auth.Server", environment: Production(
            ("Auth__Clients__0__ClientId", "billing"),
            ("Auth__Clients__0__ClientSecrets__0__Value", SecretHasher.Sha256("billing-secret")),
            ("Auth__Clients__0__AllowedGrantTypes__0", "client_credentials"),
            ("Auth__Clients__0__AllowedScopes__0", "invoices.read"),
            ("Auth__ApiScopes__0__Name", "invoices.read")));
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        var (ok, token) = await Protocol.TokenAsync(http, "billing", "billing-secret", new() { ["grant_type"] = "client_credentials" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        // Exactly the operator's scope: nothing merged in from the lab's client at the same index.
        Assert.Equal("invoices.read", token.GetProperty("scope").GetString());

        var (lab, labBody) = await Protocol.TokenAsync(http, "lab-client", "lab-secret", new() { ["grant_type"] = "client_credentials" });
        Assert.Equal(HttpStatusCode.Unauthorized, lab.StatusCode);
        Assert.Equal("invalid_client", labBody.GetProperty("error").GetString());

        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = server.BaseUri };
        var form = BrowserFlow.ReadForm(await browser.GetStringAsync("/account/login"));
        form["username"] = "alice";
        form["password"] = "alice";
        var login = await browser.PostAsync("/account/login", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains("Invalid username or password", await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(cookies.GetCookies(server.BaseUri), c => c.Name == "idsrv");
    }

    [Fact]
    public async Task Production_NothingConfigured_StartsWithOneWarning_DiscoveryAnswers_NoClientGetsToken()
    {
        await using var server = await ServerProcess.StartAsync("Auth.Server", environment: Production());
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        var discovery = await http.GetAsync("/.well-known/openid-configuration");
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        var (r, body) = await Protocol.TokenAsync(http, "lab-client", "lab-secret", new() { ["grant_type"] = "client_credentials" });
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());

        // Logged by a hosted service, which may finish after the health check first answered.
        var lines = await LinesContainingAsync(server, "Auth:Clients is empty");
        var line = Assert.Single(lines);
        Assert.Contains("Auth:Clients:0:ClientId", line, StringComparison.Ordinal);
        // The shared list of configuration warnings (ServiceDefaults' SettingsWarnings) shows it to operators too.
        using var health = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/actuator/health"));
        var warnings = health.RootElement.GetProperty("components").GetProperty("settings").GetProperty("details").GetProperty("warnings");
        Assert.Contains(warnings.EnumerateArray(), w => w.GetString()!.StartsWith("Auth:Clients is empty", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Production_InvalidConfiguration_RefusesInOneLineWithoutStackTrace()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync("Auth.Server", environment: Production(
            ("Auth__Clients__0__ClientId", "billing"),
            ("Auth__Clients__0__ClientSecrets__0__Value", "a plaintext secret"),
            ("Auth__Clients__0__AllowedGrantTypes__0", "client_credentials"))));
        Assert.StartsWith("process exited with 1 ", e.Message, StringComparison.Ordinal);
        var lines = e.Message.Split('\n');
        var refusal = Assert.Single(lines, l => l.Contains("Sha256()", StringComparison.Ordinal));
        Assert.Contains("Auth:Clients:0 (billing)", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    private static async Task<List<string>> LinesContainingAsync(ServerProcess server, string text)
    {
        for (var i = 0; i < 100 && !server.Output.Contains(text, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }
        return server.Output.Split('\n').Where(l => l.Contains(text, StringComparison.Ordinal)).ToList();
    }
}
