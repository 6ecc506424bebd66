using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Infrastructure.Testing;
using Xunit.Abstractions;

namespace Infrastructure.Config.Server.Tests.Faults;

/// <summary>
/// Config.Server (a real process) on a PostgreSQL of the test's own that hangs (SIGSTOP of its process group) or runs out
/// of disk (its folder on a small tmpfs filled by the test). What clients see, whether anything stored is lost, how it recovers.
/// </summary>
public sealed class ConfigStoreFaultTests(ITestOutputHelper output)
{
    // A hang is what exceeds this. With Npgsql's own defaults a query on a pooled connection waits 30 s, then its
    // cancellation request 2 × 15 s; with PostgresWaits' 5 s / 5 s it is 15 s, plus queueing on a loaded machine.
    private static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(30);

    /// <summary>
    /// PostgreSQL frozen under a running Config.Server with warm pooled connections, while 40 requests (reads, writes,
    /// history) arrive at once: each is answered within the bound with 503 in Spring's error shape and <c>Retry-After</c>;
    /// liveness keeps answering; the process's threads do not grow with the waiting requests beyond a bound; after SIGCONT
    /// requests succeed again without a restart and every value written before is still served.
    /// </summary>
    [Fact]
    public async Task PostgresFrozen_RequestsGet503WithinBound_RecoverOnSigcont()
    {
        await using var pg = await OwnPostgres.StartAsync();
        await using var server = await StartServerAsync(pg);
        using var http = Client(server);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await PutAsync(http, $"frozen/default/master/key{i}", "v" + i)).Status);
        }
        // Warm the pool: several connections open and idle, as under steady traffic.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => GetEnvAsync(http, "frozen")));
        var threadsBefore = Threads(server.Pid);

        await pg.FreezeAsync();
        Answer[] during;
        var peakThreads = 0;
        using (var sampling = new CancellationTokenSource())
        {
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peakThreads = Math.Max(peakThreads, Threads(server.Pid));
                    await Task.Delay(100, CancellationToken.None);
                }
            });
            var burst = Enumerable.Range(0, 40).Select(i => (i % 4) switch
            {
                0 => PutAsync(http, $"frozen/default/master/key{i}", "during"),
                1 => BoundedAsync(() => http.GetAsync("/admin/history?application=frozen")),
                _ => GetEnvAsync(http, "frozen"),
            }).ToList();
            var live = await BoundedAsync(() => http.GetAsync("/actuator/health/liveness"));
            during = await Task.WhenAll(burst);
            await sampling.CancelAsync();
            await sampler;
            Assert.Equal(HttpStatusCode.OK, live.Status);
        }
        Assert.All(during, a =>
        {
            Assert.True(a.Status == HttpStatusCode.ServiceUnavailable, $"answered {(int)a.Status} while PostgreSQL was frozen: {a.Body}");
            AssertSpringError(a, 503);
            Assert.Equal("5", a.RetryAfter);
        });
        Assert.False(server.HasExited);
        var slowest = during.Max(a => a.Elapsed);
        output.WriteLine($"frozen: {during.Length} requests, all 503, slowest {slowest.TotalSeconds:0.0} s; threads {threadsBefore} before, {peakThreads} at most while frozen");
        // Blocked requests may each hold a thread for the bounded wait, but no more than the requests themselves.
        Assert.True(peakThreads <= threadsBefore + during.Length + 10, $"threads grew from {threadsBefore} to {peakThreads} for {during.Length} waiting requests");

        await pg.ThawAsync();
        var sw = Stopwatch.StartNew();
        var failuresAfter = 0;
        Answer env;
        while ((env = await GetEnvAsync(http, "frozen")).Status != HttpStatusCode.OK)
        {
            failuresAfter++;
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "reads still fail 60 s after SIGCONT: " + env.Body + "\n" + server.Output);
            await Task.Delay(200);
        }
        var firstSuccess = sw.Elapsed;
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(http, "frozen/default/master/after", "yes")).Status);
        var values = Source(JsonDocument.Parse(await http.GetStringAsync("/frozen/default")).RootElement);
        for (var i = 0; i < 5; i++)
        {
            // A write that reached the database before the freeze and was answered 503 may have been applied after SIGCONT
            // (the client could not know); every value stored before the freeze is there, old or overwritten, never gone.
            Assert.True(values.TryGetValue($"key{i}", out var v) && (v == "v" + i || v == "during"), $"key{i} lost: {string.Join(", ", values)}");
        }
        Assert.Equal("yes", values["after"]);
        output.WriteLine($"after SIGCONT: {failuresAfter} failed read(s), first success after {firstSuccess.TotalSeconds:0.0} s");
    }

    /// <summary>
    /// PostgreSQL's folder on a 100 MiB tmpfs that the test fills: a property write that needs new pages answers 507 in
    /// Spring's error shape; nothing of it is stored (neither the row nor its history line); reads and the history keep
    /// serving everything stored before; once space is freed the same write succeeds without a restart.
    /// </summary>
    [SkippableFact]
    public async Task DiskFull_WriteGets507_NothingHalfWritten_ReadsServe_WritesResumeWhenFreed()
    {
        OwnPostgres pg;
        try
        {
            pg = await OwnPostgres.StartAsync(tmpfsMegabytes: 100);
        }
        catch (TmpfsUnavailableException e)
        {
            throw new SkipException("no full disk without a tmpfs: " + e.Message);
        }
        await using var _ = pg;
        await using var server = await StartServerAsync(pg);
        using var http = Client(server);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await PutAsync(http, $"full/default/master/key{i}", "v" + i)).Status);
        }
        var historyBefore = await HistoryAsync(http);
        // Random text barely compresses: the value needs fresh TOAST pages, which a full disk cannot give.
        var big = Convert.ToBase64String(RandomNumberGenerator(300_000));

        var filled = pg.FillDisk();
        var refused = new List<Answer>();
        for (var i = 0; i < 3; i++)
        {
            refused.Add(await PutAsync(http, "full/default/master/big", big));
        }
        var reads = new List<Answer>();
        for (var i = 0; i < 5; i++)
        {
            reads.Add(await GetEnvAsync(http, "full"));
        }
        var historyDuring = await HistoryAsync(http);
        Assert.All(refused, a =>
        {
            Assert.True(a.Status == HttpStatusCode.InsufficientStorage, $"a write on a full disk answered {(int)a.Status}: {a.Body}\n{server.Output}");
            AssertSpringError(a, 507);
        });
        Assert.All(reads, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        var values = Source(JsonDocument.Parse(reads[^1].Body).RootElement);
        Assert.False(values.ContainsKey("big"), "the refused write was stored");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("v" + i, values[$"key{i}"]);
        }
        Assert.Equal(historyBefore, historyDuring);
        Assert.False(server.HasExited);

        pg.FreeDisk();
        var sw = Stopwatch.StartNew();
        Answer put;
        var failuresAfter = 0;
        while ((put = await PutAsync(http, "full/default/master/big", big)).Status != HttpStatusCode.OK)
        {
            failuresAfter++;
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"writes still fail 60 s after space was freed: {(int)put.Status} {put.Body}");
            await Task.Delay(200);
        }
        values = Source(JsonDocument.Parse(await http.GetStringAsync("/full/default")).RootElement);
        Assert.Equal(big, values["big"]);
        var historyAfter = await HistoryAsync(http);
        Assert.Equal(historyBefore.Count + 1, historyAfter.Count);
        Assert.Equal("big", historyAfter[0]);
        output.WriteLine($"disk full: filler {filled / 1024 / 1024} MiB; {refused.Count} writes answered 507, {reads.Count} reads 200; after freeing: {failuresAfter} failed write(s), first success after {sw.Elapsed.TotalSeconds:0.0} s");
    }

    private static byte[] RandomNumberGenerator(int length) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);

    private static Task<ServerProcess> StartServerAsync(OwnPostgres pg) => ServerProcess.StartAsync("Config.Server", environment: new Dictionary<string, string?>
    {
        ["ConfigServer__Postgres__ConnectionString"] = pg.ConnectionString,
    });

    private static HttpClient Client(ServerProcess s) => new() { BaseAddress = s.BaseUri, Timeout = RequestBound + TimeSpan.FromSeconds(30) };

    private static void AssertSpringError(Answer a, int status)
    {
        Assert.Equal("application/json", a.ContentType);
        using var doc = JsonDocument.Parse(a.Body);
        var root = doc.RootElement;
        Assert.Equal(status, root.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("error").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("message").GetString()));
        Assert.StartsWith("/", root.GetProperty("path").GetString(), StringComparison.Ordinal);
        Assert.True(root.TryGetProperty("timestamp", out _));
    }

    private static Task<Answer> PutAsync(HttpClient http, string path, string value) => BoundedAsync(() =>
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/admin/properties/" + path) { Content = new StringContent(value, Encoding.UTF8, "text/plain") };
        request.Headers.Add("X-Changed-By", "fault-test");
        return http.SendAsync(request);
    });

    private static Task<Answer> GetEnvAsync(HttpClient http, string application) => BoundedAsync(() => http.GetAsync($"/{application}/default"));

    private static async Task<List<string>> HistoryAsync(HttpClient http)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/admin/history?application=full"));
        return [.. doc.RootElement.EnumerateArray().Select(e => e.GetProperty("key").GetString()!)];
    }

    private static Dictionary<string, string> Source(JsonElement env)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in env.GetProperty("propertySources").EnumerateArray())
        {
            foreach (var p in source.GetProperty("source").EnumerateObject())
            {
                values.TryAdd(p.Name, p.Value.GetString() ?? "");
            }
        }
        return values;
    }

    /// <summary>The thread count of a process, from <c>/proc/{pid}/status</c>.</summary>
    private static int Threads(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal));
            return int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private sealed record Answer(HttpStatusCode Status, string Body, string? ContentType, string? RetryAfter, TimeSpan Elapsed);

    /// <summary>Runs a request and fails the test when it is not answered within <see cref="RequestBound"/> (a hang, not slowness).</summary>
    private static async Task<Answer> BoundedAsync(Func<Task<HttpResponseMessage>> call)
    {
        var sw = Stopwatch.StartNew();
        var task = call();
        if (await Task.WhenAny(task, Task.Delay(RequestBound)) != task)
        {
            Assert.Fail($"a request was not answered within {RequestBound.TotalSeconds} s");
        }
        using var response = await task;
        var body = await response.Content.ReadAsStringAsync();
        return new Answer(response.StatusCode, body, response.Content.Headers.ContentType?.MediaType,
            response.Headers.RetryAfter?.Delta is { } d ? ((int)d.TotalSeconds).ToString(CultureInfo.InvariantCulture) : null, sw.Elapsed);
    }
}
