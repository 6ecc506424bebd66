using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Infrastructure.Soak;

/// <summary>Where the lab's components answer.</summary>
internal sealed record LabUrls(Uri? Discovery, Uri? Config, Uri? Auth, Uri? Gateway, Uri? WebBff);

/// <summary>
/// What the run sends: a fixed rate (open loop) of client-credentials tokens, catalog GETs and order POSTs through the
/// gateway in turn, plus on their own periods a Web.Bff login/logout, a Config.Server refresh and a registry churn cycle.
/// </summary>
internal sealed partial class Traffic(SoakOptions options, LabUrls urls, Tally tally) : IDisposable
{
    private const string Scopes = "catalog.read order.read order.write";
    private static readonly string[] RefreshPaths = ["catalog.yml", "order.yml", "application.yml"];
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        MaxConnectionsPerServer = options.MaxInFlight,
        AllowAutoRedirect = false,
        UseCookies = false,
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    private volatile string? _token;
    private long _warmUpOrders;
    private long _inFlight;
    private long _maxLagTicks;

    /// <summary>How late (ms) the scheduler dispatched a request at worst: the harness itself falling behind.</summary>
    public double MaxLagMs => Interlocked.Read(ref _maxLagTicks) * 1000.0 / Stopwatch.Frequency;

    public bool DrivesRate => urls is { Auth: not null, Gateway: not null };

    /// <summary>Orders placed so far (answered 201), warm-up included: Order.Service keeps each in memory.</summary>
    public long OrdersPlaced => Interlocked.Read(ref _warmUpOrders) + (tally.Requests.TryGetValue("order POST", out var s) ? s.Ok : 0);

    /// <summary>Before the clock starts: a token, and one catalog GET and one order POST answered through the gateway (not counted).</summary>
    public async Task WarmUpAsync(CancellationToken ct)
    {
        if (!DrivesRate) { return; }
        var deadline = Stopwatch.StartNew();
        string? last = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            try
            {
                _token = await TokenAsync(ct);
                using var catalog = await SendAsync(CatalogRequest(), ct);
                using var order = await SendAsync(OrderRequest(0), ct);
                if (order.StatusCode == HttpStatusCode.Created) { Interlocked.Increment(ref _warmUpOrders); }
                if (catalog.StatusCode == HttpStatusCode.OK && order.StatusCode == HttpStatusCode.Created) { return; }
                last = $"catalog {(int)catalog.StatusCode}, order {(int)order.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                last = ex.Message;
            }
            await Task.Delay(500, ct);
        }
        throw new InvalidOperationException("the lab never answered a token, a catalog GET and an order POST through the gateway: " + last);
    }

    /// <summary>Runs every activity until <paramref name="end"/> (a <see cref="Stopwatch"/> timestamp), then waits for the requests in flight.</summary>
    public async Task RunAsync(long end, CancellationToken ct)
    {
        var activities = new List<Task>();
        if (DrivesRate) { activities.Add(RateLoopAsync(end, ct)); }
        if (urls.WebBff is not null && urls.Auth is not null) { activities.Add(Every(options.LoginEvery, end, LoginAsync, ct)); }
        if (urls.Config is not null) { activities.Add(Every(options.RefreshEvery, end, RefreshAsync, ct)); }
        if (urls.Discovery is not null) { activities.Add(Every(options.ChurnEvery, end, ChurnAsync, ct)); }
        await Task.WhenAll(activities);
        var drain = Stopwatch.StartNew();
        while (Interlocked.Read(ref _inFlight) > 0 && drain.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50, CancellationToken.None);
        }
    }

    private async Task RateLoopAsync(long end, CancellationToken ct)
    {
        var t0 = Stopwatch.GetTimestamp();
        for (long k = 0; !ct.IsCancellationRequested; k++)
        {
            var due = t0 + (long)(DueSeconds(k, options.Rate, options.RampUp.TotalSeconds) * Stopwatch.Frequency);
            if (due >= end) { break; }
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                try { await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), ct); }
                catch (OperationCanceledException) { break; }
            }
            var lag = Stopwatch.GetTimestamp() - due;
            if (lag > Interlocked.Read(ref _maxLagTicks)) { Interlocked.Exchange(ref _maxLagTicks, lag); }
            if (Interlocked.Read(ref _inFlight) >= options.MaxInFlight)
            {
                tally.Error($"not sent: {options.MaxInFlight} requests already in flight");
                continue;
            }
            Interlocked.Increment(ref _inFlight);
            var slot = k;
            _ = Task.Run(async () =>
            {
                try { await OneAsync(slot); }
                finally { Interlocked.Decrement(ref _inFlight); }
            }, CancellationToken.None);
        }
    }

    /// <summary>
    /// When request <paramref name="k"/> is due, in seconds from the start: the rate rises linearly from 0 to
    /// <paramref name="rate"/> over <paramref name="ramp"/> seconds (rate·t²/2·ramp requests by t), then holds.
    /// </summary>
    internal static double DueSeconds(long k, double rate, double ramp) =>
        ramp <= 0 ? k / rate
        : k < rate * ramp / 2 ? Math.Sqrt(2 * ramp * k / rate)
        : k / rate + ramp / 2;

    private Task OneAsync(long slot) => (slot % 3) switch
    {
        0 => Timed("token", async _ =>
        {
            _token = await TokenAsync(CancellationToken.None);
            return null;
        }),
        1 => Timed("catalog GET", async _ =>
        {
            using var r = await SendAsync(CatalogRequest(), CancellationToken.None);
            return r.StatusCode == HttpStatusCode.OK ? null : Status(r);
        }),
        _ => Timed("order POST", async _ =>
        {
            using var r = await SendAsync(OrderRequest(slot), CancellationToken.None);
            return r.StatusCode == HttpStatusCode.Created ? null : Status(r);
        }),
    };

    /// <summary>Runs one request (or flow) of a kind: null means it went right, else what went wrong. Its latency leaves out its pauses.</summary>
    private async Task Timed(string kind, Func<Pauses, Task<string?>> action)
    {
        var start = Stopwatch.GetTimestamp();
        var pauses = new Pauses();
        string? error;
        try
        {
            error = await action(pauses);
        }
        catch (TaskCanceledException)
        {
            error = "timeout";
        }
        catch (HttpRequestException ex)
        {
            error = ex.HttpRequestError.ToString();
        }
        catch (SoakFlowException ex)
        {
            error = ex.Message;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            error = "unreadable answer: " + ex.GetType().Name;
        }
        tally.Of(kind).Record(error is null, (Stopwatch.GetElapsedTime(start) - pauses.Total).TotalMilliseconds);
        if (error is not null) { tally.Error($"{kind}: {error}"); }
    }

    private async Task Every(TimeSpan period, long end, Func<long, Task> action, CancellationToken ct)
    {
        if (period <= TimeSpan.Zero) { return; }
        var ticks = (long)(period.TotalSeconds * Stopwatch.Frequency);
        // Staggered: the periodic activities do not all fire in the same instant.
        var next = Stopwatch.GetTimestamp() + Random.Shared.NextInt64(ticks);
        for (long n = 0; !ct.IsCancellationRequested; n++)
        {
            var wait = next - Stopwatch.GetTimestamp();
            if (next >= end) { return; }
            if (wait > 0)
            {
                try { await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), ct); }
                catch (OperationCanceledException) { return; }
            }
            await action(n);
            next += ticks;
            // A flow slower than its period is not made up for with a burst.
            next = Math.Max(next, Stopwatch.GetTimestamp());
        }
    }

    // ------------------------------------------------------------------ the fixed-rate kinds

    private async Task<string> TokenAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(urls.Auth!, "connect/token"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = Scopes }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("lab-client:lab-secret"u8.ToArray()));
        using var r = await _http.SendAsync(request, ct);
        if (r.StatusCode != HttpStatusCode.OK) { throw new SoakFlowException(Status(r)); }
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct));
        return doc.RootElement.GetProperty("access_token").GetString() ?? throw new SoakFlowException("no access_token");
    }

    private HttpRequestMessage CatalogRequest() => Bearer(new HttpRequestMessage(HttpMethod.Get, new Uri(urls.Gateway!, "catalog/api/products")));

    private HttpRequestMessage OrderRequest(long slot)
    {
        var body = string.Create(CultureInfo.InvariantCulture, $$"""{"items":[{"productId":{{slot / 3 % 6 + 1}},"quantity":1}]}""");
        return Bearer(new HttpRequestMessage(HttpMethod.Post, new Uri(urls.Gateway!, "order/api/orders"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        });
    }

    private HttpRequestMessage Bearer(HttpRequestMessage m)
    {
        m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return m;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage m, CancellationToken ct)
    {
        using (m)
        {
            var r = await _http.SendAsync(m, HttpCompletionOption.ResponseContentRead, ct);
            return r;
        }
    }

    private static string Status(HttpResponseMessage r) => ((int)r.StatusCode).ToString(CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ the periodic activities

    /// <summary>
    /// A person logging in to the web shop with a cookie-keeping client, as a browser does: Web.Bff's /bff/login →
    /// Auth.Server's authorize → login form (antiforgery token, alice / alice) → code back to Web.Bff → session cookie;
    /// then the BFF's user and catalog APIs with that session, and a logout that ends it on both sides.
    /// </summary>
    private Task LoginAsync(long n) => Timed("web-bff login", async _ =>
    {
        using var browser = new LoopbackBrowser();
        var bff = urls.WebBff!;
        var csrf = new Dictionary<string, string> { ["X-CSRF"] = "1" };

        using var loginPage = await browser.SendAsync(HttpMethod.Get, new Uri(bff, "bff/login?returnUrl=%2F"));
        Expect(loginPage, urls.Auth!, "/account/login", "login page");
        var form = HiddenInputs(await loginPage.Content.ReadAsStringAsync());
        if (!form.ContainsKey("returnUrl")) { throw new SoakFlowException("login page: no returnUrl field"); }
        form["username"] = "alice";
        form["password"] = "alice";
        var signedIn = await browser.SendAsync(HttpMethod.Post, new Uri(urls.Auth!, "account/login"), new FormUrlEncodedContent(form));
        try
        {
            if (signedIn.StatusCode == HttpStatusCode.OK && signedIn.RequestMessage?.RequestUri?.AbsolutePath == "/account/consent")
            {
                // The lab's web-bff client asks no consent; answered anyway should a configuration turn it on.
                var consent = HiddenInputs(await signedIn.Content.ReadAsStringAsync());
                consent["button"] = "yes";
                signedIn.Dispose();
                signedIn = await browser.SendAsync(HttpMethod.Post, new Uri(urls.Auth!, "account/consent"), new FormUrlEncodedContent(consent));
            }
            Expect(signedIn, bff, "/", "back at the shop");
        }
        finally
        {
            signedIn.Dispose();
        }

        using (var user = await browser.SendAsync(HttpMethod.Get, new Uri(bff, "bff/user")))
        {
            if (user.StatusCode != HttpStatusCode.OK) { throw new SoakFlowException($"/bff/user {Status(user)} after login"); }
            using var doc = JsonDocument.Parse(await user.Content.ReadAsStringAsync());
            if (doc.RootElement.GetProperty("sub").GetString() != "1") { throw new SoakFlowException("/bff/user: not alice"); }
        }
        using (var catalog = await browser.SendAsync(HttpMethod.Get, new Uri(bff, "api/catalog"), headers: csrf))
        {
            if (catalog.StatusCode != HttpStatusCode.OK) { throw new SoakFlowException($"/api/catalog {Status(catalog)}"); }
        }
        using (var done = await browser.SendAsync(HttpMethod.Post, new Uri(bff, "bff/logout"), headers: csrf))
        {
            Expect(done, bff, "/", "after logout");
        }
        using (var after = await browser.SendAsync(HttpMethod.Get, new Uri(bff, "bff/user")))
        {
            if (after.StatusCode != HttpStatusCode.Unauthorized) { throw new SoakFlowException($"/bff/user {Status(after)} after logout"); }
        }
        return null;
    });

    private static void Expect(HttpResponseMessage r, Uri site, string path, string step)
    {
        var at = r.RequestMessage?.RequestUri;
        if (r.StatusCode != HttpStatusCode.OK || at is null || at.Authority != site.Authority || at.AbsolutePath != path)
        {
            throw new SoakFlowException($"{step}: {Status(r)} at {at?.GetLeftPart(UriPartial.Path) ?? "?"}");
        }
    }

    private static Dictionary<string, string> HiddenInputs(string html) =>
        HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();

    /// <summary>Config.Server's webhook (<c>POST /monitor</c>, as a git push notifies it): catalog, order, then every application.</summary>
    private Task RefreshAsync(long n) => Timed("config refresh", async _ =>
    {
        var path = RefreshPaths[n % RefreshPaths.Length];
        using var r = await _http.PostAsync(new Uri(urls.Config!, "monitor"),
            new StringContent(JsonSerializer.Serialize(new { path }), Encoding.UTF8, "application/json"));
        return r.StatusCode == HttpStatusCode.OK ? null : Status(r);
    });

    /// <summary>A new instance of a fake application registers, renews twice and cancels, through Eureka's REST API.</summary>
    private Task ChurnAsync(long n) => Timed("registry churn", async pauses =>
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"soak-{Environment.ProcessId}-{n}:soak-churn:9");
        var app = new Uri(urls.Discovery!, "eureka/apps/SOAK-CHURN");
        var instance = new Uri(urls.Discovery!, "eureka/apps/SOAK-CHURN/" + Uri.EscapeDataString(id));
        var body = """
            {"instance":{"instanceId":"INSTANCE-ID","hostName":"soak-churn.invalid","app":"SOAK-CHURN","ipAddr":"192.0.2.1","status":"UP",
            "port":{"$":9,"@enabled":"true"},"vipAddress":"soak-churn","secureVipAddress":"soak-churn",
            "dataCenterInfo":{"@class":"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo","name":"MyOwn"},
            "leaseInfo":{"renewalIntervalInSecs":5,"durationInSecs":15}}}
            """.Replace("INSTANCE-ID", id, StringComparison.Ordinal);
        using (var r = await _http.PostAsync(app, new StringContent(body, Encoding.UTF8, "application/json")))
        {
            if (r.StatusCode != HttpStatusCode.NoContent) { return "register " + Status(r); }
        }
        var pause = TimeSpan.FromSeconds(Math.Min(1, options.ChurnEvery.TotalSeconds / 4));
        for (var i = 0; i < 2; i++)
        {
            await pauses.DelayAsync(pause);
            using var r = await _http.PutAsync(instance + "?status=UP", null);
            if (r.StatusCode != HttpStatusCode.OK) { return "renew " + Status(r); }
        }
        await pauses.DelayAsync(pause);
        using (var r = await _http.DeleteAsync(instance))
        {
            return r.StatusCode == HttpStatusCode.OK ? null : "cancel " + Status(r);
        }
    });

    public void Dispose() => _http.Dispose();
}

/// <summary>The time a flow spent waiting on purpose, left out of its latency.</summary>
internal sealed class Pauses
{
    public TimeSpan Total { get; private set; }

    public async Task DelayAsync(TimeSpan pause)
    {
        var start = Stopwatch.GetTimestamp();
        await Task.Delay(pause);
        Total += Stopwatch.GetElapsedTime(start);
    }
}

/// <summary>A step of a flow answered wrongly; the message is the error kind.</summary>
internal sealed class SoakFlowException(string message) : Exception(message);
