using System.Net;
using System.Net.Http.Json;
using System.Text;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Routing;

/// <summary>
/// Mutated route definitions posted to the actuator: each is created (201) or refused with a reason (400) — never a 5xx —
/// and a refused one changes nothing: it is not listed and the routes already there keep routing.
/// </summary>
public sealed class RouteDefinitionFuzzTests
{
    private static readonly string[] Predicates =
    [
        "Path=/fz/**", "Path=/fz/{segment}", "Method=GET,POST", @"Header=X-A, \d+", "Query=color, gree.", "Host=**.example.org",
        "Cookie=flavor, choc.*", "After=2017-01-20T17:42:47.789-07:00[America/Denver]", "Weight=group1, 8",
        "RemoteAddr=10.0.0.0/8", "Between=2017-01-20T17:42:47.789-07:00[America/Denver], 2999-01-21T17:42:47.789-07:00[America/Denver]",
    ];

    private static readonly string[] Filters =
    [
        "StripPrefix=1", @"RewritePath=/fz/(?<rest>.*), /$\{rest}", "SetPath=/x/{segment}", "AddRequestHeader=X-A, v", "Retry=3",
        "RequestRateLimiter=1, 2", "CircuitBreaker=cb, forward:/fallback", "RequestSize=5MB", "SetStatus=418", "RedirectTo=302, https://acme.org",
        "PrefixPath=/v1", "AddResponseHeader=X-B, {segment}", "DedupeResponseHeader=X-A", "RemoveRequestHeader=X-A",
    ];

    private static readonly string[] Noise = ["(", ")", "[", "]", "{", "}", "\\", "*", "?", ",", "=", " ", "%", "$", "/", "..", "\u0000", "\u00e9", "\t", "'", "\"", "-1", "99999999999", "(a+)+$"];

    [Fact]
    public async Task MutatedDefinitions_201Or400_RefusedOnesChangeNothing()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var c = new RouteConfig().Route("echo", backend.Url, ["Path=/echo/**"]);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();
        var random = new Random(20261207);
        var created = new List<string>();
        var refused = new List<string>();

        for (var i = 0; i < 300; i++)
        {
            var id = "fz" + i;
            var predicates = new List<string> { Mutate(random, Predicates[random.Next(Predicates.Length)]) };
            var filters = Enumerable.Range(0, random.Next(3)).Select(_ => Mutate(random, Filters[random.Next(Filters.Length)])).ToList();
            var body = new { uri = random.Next(10) == 0 ? Mutate(random, backend.Url) : backend.Url, predicates, filters, order = 1000 };
            using var r = await client.PostAsJsonAsync($"/actuator/gateway/routes/{id}", body);
            var text = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.BadRequest,
                $"{(int)r.StatusCode} for {string.Join(" | ", predicates)} / {string.Join(" | ", filters)}: {text}");
            if (r.StatusCode == HttpStatusCode.Created)
            {
                created.Add(id);
            }
            else
            {
                Assert.Contains("\"message\"", text, StringComparison.Ordinal);
                refused.Add(id);
            }
        }

        Assert.NotEmpty(created);
        Assert.NotEmpty(refused);
        foreach (var id in refused)
        {
            using var get = await client.GetAsync($"/actuator/gateway/routes/{id}");
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        }
        using var echo = await client.GetAsync("/echo/still");
        Assert.Equal(HttpStatusCode.OK, echo.StatusCode);
        // Requests against whatever the accepted routes match: never a 5xx from the gateway itself.
        foreach (var path in new[] { "/fz/a", "/fz/a/b?color=green", "/fz/%2e" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("X-A", new string('a', 40) + "!");
            request.Headers.Add("Cookie", "flavor=chocolate");
            using var r = await client.SendAsync(request);
            Assert.True((int)r.StatusCode < 500 || r.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
                $"{(int)r.StatusCode} for {path}: {await r.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task CatastrophicRegexPredicate_HostileHeader_NoMatchNot500()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var c = new RouteConfig()
            .Route("redos", backend.Url, ["Path=/redos/**", "Header=X-A, (a+)+$"])
            .Route("fallback", backend.Url, ["Path=/redos/**"], order: 10);
        await using var host = new GatewayHost(c.Settings);
        using var client = host.NewClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/redos/x");
        request.Headers.Add("X-A", new string('a', 64) + "!");
        using var r = await client.SendAsync(request);

        // The predicate's 1 s regex budget runs out: it does not match, and the next route takes the request.
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    private static string Mutate(Random random, string text)
    {
        var sb = new StringBuilder(text);
        var edits = random.Next(4);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = random.Next(sb.Length);
            switch (random.Next(4))
            {
                case 0:
                    sb.Insert(at, Noise[random.Next(Noise.Length)]);
                    break;
                case 1:
                    sb.Remove(at, 1);
                    break;
                case 2:
                    sb.Length = at;
                    break;
                default:
                    sb.Insert(at, sb.ToString(at, Math.Min(3, sb.Length - at)));
                    break;
            }
        }
        return sb.ToString();
    }
}
