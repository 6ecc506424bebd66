using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Infrastructure.Testing;
using Microsoft.Extensions.Options;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Security;

public sealed class RegistrySecurityTests
{
    private const string User = "eureka";
    private const string Password = "s3cret-Pa55word!";

    private static EurekaServerFactory Secured(Action<Dictionary<string, string?>>? configure = null)
    {
        var f = new EurekaServerFactory();
        f.Settings["Eureka:Server:Security:Enabled"] = "true";
        f.Settings["Spring:Security:User:Name"] = User;
        f.Settings["Spring:Security:User:Password"] = Password;
        configure?.Invoke(f.Settings);
        return f;
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, AuthenticationHeaderValue? auth, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = auth;
        request.Headers.Accept.ParseAdd("application/json");
        return await http.SendAsync(request);
    }

    private static StringContent Batch(params JsonObject[] items) =>
        new(new JsonObject { ["replicationList"] = new JsonArray(items) }.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>Every kind of write the registry takes, against instance SEC/a (which the caller registers first).</summary>
    private static IEnumerable<(HttpMethod Method, string Path, Func<HttpContent?> Content)> Writes() =>
    [
        (HttpMethod.Post, "/eureka/apps/SEC", () => Content(JsonBody("sec", "b"))),
        (HttpMethod.Post, "/eureka/v2/apps/SEC", () => Content(JsonBody("sec", "b"))),
        (HttpMethod.Put, "/eureka/apps/SEC/a", () => null),
        (HttpMethod.Put, "/eureka/apps/SEC/a/status?value=UP", () => null),
        (HttpMethod.Delete, "/eureka/apps/SEC/a/status", () => null),
        (HttpMethod.Put, "/eureka/apps/SEC/a/metadata?planted=yes", () => null),
        (HttpMethod.Delete, "/eureka/apps/SEC/a", () => null),
        (HttpMethod.Post, "/eureka/peerreplication/batch/", () => Batch(
            new JsonObject { ["action"] = "Register", ["appName"] = "SEC", ["id"] = "c", ["instanceInfo"] = JsonBody("sec", "c")["instance"]!.DeepClone() },
            new JsonObject { ["action"] = "Cancel", ["appName"] = "SEC", ["id"] = "a" })),
    ];

    [Fact]
    public async Task Default_RegistryOpen_AnonymousWritesAndReadsWorkAsInEureka()
    {
        await using var f = new EurekaServerFactory();
        using var http = f.CreateClient();

        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(http, "sec", "a")).StatusCode);
        using var status = await SendAsync(http, HttpMethod.Put, "/eureka/apps/SEC/a/status?value=OUT_OF_SERVICE", null);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        using var apps = await GetJsonAsync(http, "/eureka/apps");
        Assert.Equal(["a"], InstanceIds(apps, "SEC"));
    }

    [Fact]
    public async Task Enabled_AnonymousWrites_401WithBasicChallenge_AndNothingChanges()
    {
        await using var f = Secured();
        using var http = f.CreateClient();
        var auth = Basic(User, Password);
        using (var content = Content(JsonBody("sec", "a")))
        using (var registered = await SendAsync(http, HttpMethod.Post, "/eureka/apps/SEC", auth, content))
        {
            Assert.Equal(HttpStatusCode.NoContent, registered.StatusCode);
        }
        using (var overridden = await SendAsync(http, HttpMethod.Put, "/eureka/apps/SEC/a/status?value=OUT_OF_SERVICE", auth))
        {
            Assert.Equal(HttpStatusCode.OK, overridden.StatusCode);
        }
        var before = await InstanceAsync(http, auth);
        // A renew that got through would move lastRenewalTimestamp.
        f.Time.Advance(TimeSpan.FromSeconds(10));

        foreach (var (method, path, body) in Writes())
        {
            using var content = body();
            using var r = await SendAsync(http, method, path, null, content);
            Assert.True(r.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} answered {(int)r.StatusCode}");
            var challenge = Assert.Single(r.Headers.WwwAuthenticate);
            Assert.Equal("Basic", challenge.Scheme);
            Assert.Equal("realm=\"eureka\"", challenge.Parameter);
            using var error = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            Assert.Equal(401, error.RootElement.GetProperty("status").GetInt32());
        }

        using var apps = await SendAsync(http, HttpMethod.Get, "/eureka/apps", auth);
        using var doc = JsonDocument.Parse(await apps.Content.ReadAsStringAsync());
        Assert.Equal(["a"], InstanceIds(doc, "SEC"));
        var after = await InstanceAsync(http, auth);
        Assert.Equal("OUT_OF_SERVICE", after.GetProperty("overriddenStatus").GetString());
        Assert.False(after.GetProperty("metadata").TryGetProperty("planted", out _));
        Assert.Equal(
            before.GetProperty("leaseInfo").GetProperty("lastRenewalTimestamp").GetInt64(),
            after.GetProperty("leaseInfo").GetProperty("lastRenewalTimestamp").GetInt64());
    }

    [Fact]
    public async Task Enabled_RightCredential_EveryWriteWorks()
    {
        await using var f = Secured();
        using var http = f.CreateClient();
        var auth = Basic(User, Password);
        using (var content = Content(JsonBody("sec", "a")))
        using (var registered = await SendAsync(http, HttpMethod.Post, "/eureka/apps/SEC", auth, content))
        {
            Assert.Equal(HttpStatusCode.NoContent, registered.StatusCode);
        }

        foreach (var (method, path, body) in Writes())
        {
            using var content = body();
            using var r = await SendAsync(http, method, path, auth, content);
            Assert.True(r.IsSuccessStatusCode, $"{method} {path} answered {(int)r.StatusCode}");
        }

        // a was cancelled, b registered (twice: both prefixes), c registered by the batch.
        using var apps = await SendAsync(http, HttpMethod.Get, "/eureka/apps", auth);
        using var doc = JsonDocument.Parse(await apps.Content.ReadAsStringAsync());
        Assert.Equal(["b", "c"], InstanceIds(doc, "SEC").Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("wrong password")]
    [InlineData("wrong user")]
    [InlineData("password prefix")]
    [InlineData("not base64")]
    [InlineData("bearer")]
    public async Task Enabled_WrongCredential_401AndNotRegistered(string kind)
    {
        await using var f = Secured();
        using var http = f.CreateClient();
        var auth = kind switch
        {
            "wrong password" => Basic(User, Password + "x"),
            "wrong user" => Basic("user", Password),
            "password prefix" => Basic(User, Password[..^1]),
            "not base64" => new AuthenticationHeaderValue("Basic", "%%%"),
            _ => new AuthenticationHeaderValue("Bearer", Password),
        };

        using var content = Content(JsonBody("sec", "a"));
        using var r = await SendAsync(http, HttpMethod.Post, "/eureka/apps/SEC", auth, content);

        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using var apps = await SendAsync(http, HttpMethod.Get, "/eureka/apps", Basic(User, Password));
        using var doc = JsonDocument.Parse(await apps.Content.ReadAsStringAsync());
        Assert.Empty(InstanceIds(doc, "SEC"));
    }

    [Fact]
    public async Task Enabled_ReadsAndDashboardProtectedByDefault_HealthStaysOpen()
    {
        await using var f = Secured();
        using var http = f.CreateClient();

        foreach (var path in (string[])["/eureka/apps", "/eureka/apps/delta", "/eureka/v2/apps", "/eureka/apps/SEC", "/eureka/vips/sec", "/", "/actuator/prometheus"])
        {
            using var anonymous = await SendAsync(http, HttpMethod.Get, path, null);
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"GET {path} answered {(int)anonymous.StatusCode}");
        }
        using (var apps = await SendAsync(http, HttpMethod.Get, "/eureka/apps", Basic(User, Password)))
        {
            Assert.Equal(HttpStatusCode.OK, apps.StatusCode);
        }
        foreach (var path in (string[])["/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"])
        {
            using var health = await SendAsync(http, HttpMethod.Get, path, null);
            Assert.True(health.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)health.StatusCode}");
        }
    }

    [Fact]
    public async Task ProtectReadsFalse_AnonymousReadsAndDashboard_WritesStill401()
    {
        await using var f = Secured(s => s["Eureka:Server:Security:ProtectReads"] = "false");
        using var http = f.CreateClient();

        using (var apps = await SendAsync(http, HttpMethod.Get, "/eureka/apps", null))
        {
            Assert.Equal(HttpStatusCode.OK, apps.StatusCode);
        }
        using (var dashboard = await SendAsync(http, HttpMethod.Get, "/", null))
        {
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await RegisterAsync(http, "sec", "a")).StatusCode);
    }

    [Fact]
    public async Task Throttle_WrongPasswordsPastTheLimit_429EvenForTheRightOne_AnonymousCallsNotCounted()
    {
        await using var f = Secured(s =>
        {
            s["Eureka:Server:Security:AuthenticationThrottle:PermitLimit"] = "3";
            s["Eureka:Server:Security:AuthenticationThrottle:Window"] = "00:10:00";
        });
        using var http = f.CreateClient();

        // A client that forgot its credentials guesses nothing and must not lock out its neighbours.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await RegisterAsync(http, "sec", "a")).StatusCode);
        }
        using (var ok = await SendAsync(http, HttpMethod.Get, "/eureka/apps", Basic(User, Password)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await SendAsync(http, HttpMethod.Get, "/eureka/apps", Basic(User, "guess" + i));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var blocked = await SendAsync(http, HttpMethod.Get, "/eureka/apps", Basic(User, Password));
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Equal(TimeSpan.FromMinutes(10), blocked.Headers.RetryAfter?.Delta);
        using var health = await SendAsync(http, HttpMethod.Get, "/actuator/health", null);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("Spring:Security:User:Password", "")]
    [InlineData("Spring:Security:User:Name", "")]
    [InlineData("Spring:Security:User:Name", "a:b")]
    [InlineData("Eureka:Server:Security:AuthenticationThrottle:PermitLimit", "0")]
    public void Enabled_UnusableSetting_StartFailsNamingTheKeyButNotThePassword(string key, string value)
    {
        var ex = FailedStart.Of(() => Secured(s => s[key] = value), factory => factory.CreateClient());

        var validation = Assert.IsType<OptionsValidationException>(ex.GetBaseException());
        Assert.Contains(key.Split(':')[^1], string.Join(" ", validation.Failures), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeerUrlWithCredentials_DashboardAndHealthShowItWithoutThem()
    {
        await using var f = Secured(s => s["Eureka:Client:ServiceUrl:DefaultZone"] = $"http://{User}:{Uri.EscapeDataString(Password)}@127.0.0.1:1/eureka/");
        using var http = f.CreateClient();
        var auth = Basic(User, Password);

        await EventuallyAsync(async () =>
        {
            using var page = await SendAsync(http, HttpMethod.Get, "/", auth);
            return (await page.Content.ReadAsStringAsync()).Contains("http://127.0.0.1:1/eureka/", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20));
        using var dashboard = await SendAsync(http, HttpMethod.Get, "/", auth);
        var html = await dashboard.Content.ReadAsStringAsync();
        Assert.Contains("http://127.0.0.1:1/eureka/", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(Password), html, StringComparison.Ordinal);
        Assert.DoesNotContain(User + ":", html, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> InstanceAsync(HttpClient http, AuthenticationHeaderValue auth)
    {
        using var r = await SendAsync(http, HttpMethod.Get, "/eureka/apps/SEC/a", auth);
        r.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("instance").Clone();
    }
}
