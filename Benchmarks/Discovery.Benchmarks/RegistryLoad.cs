using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Infrastructure.Eureka.Protocol;

namespace Infrastructure.Discovery.Benchmarks;

/// <summary>
/// The load: register N instances with bounded concurrency, then for a fixed time renew them at a target
/// rate (open loop: request k is due at t0 + k/rate) while delta clients and full fetchers poll.
/// Everything goes over one shared HttpClient, as Eureka REST calls with JSON.
/// </summary>
internal sealed class RegistryLoad(BenchOptions options, HttpClient http, Uri baseUri, int? serverPid)
{
    private readonly ConcurrentDictionary<string, int> _errors = new(StringComparer.Ordinal);
    private string[] _apps = [];
    private Uri[] _renewUris = [];

    public Latencies Register { get; } = new();
    public Latencies Renew { get; } = new();
    public Latencies Delta { get; } = new();
    public Latencies Full { get; } = new();
    public TimeSpan RegistrationTime { get; private set; }
    public TimeSpan LoadTime { get; private set; }

    /// <summary>How long the mid-load registration burst took (null without one).</summary>
    public TimeSpan? BurstTime { get; private set; }
    private long _deltaBytes;
    private long _fullBytes;
    private long _renewsInWindow;

    public long RenewsDone => Renew.Count;

    /// <summary>Renews answered before the end of the timed window (the sustained rate's numerator).</summary>
    public long RenewsInWindow => Interlocked.Read(ref _renewsInWindow);

    public long DeltaBytes => Interlocked.Read(ref _deltaBytes);

    public long FullBytes => Interlocked.Read(ref _fullBytes);
    public long? RssBefore { get; private set; }
    public long? RssAfterRegistration { get; private set; }
    public long? RssAfterLoad { get; private set; }
    public long? PeakRss { get; private set; }
    public TimeSpan? ServerCpuDuringLoad { get; private set; }
    public IReadOnlyDictionary<string, int> Errors => _errors;

    /// <summary>Instances a full fetch listed right after registration (should equal the number registered).</summary>
    public int? RegistryCount { get; private set; }

    public static HttpClient CreateHttpClient(BenchOptions o)
    {
        var handler = new SocketsHttpHandler
        {
            // Every request in flight needs its own HTTP/1.1 connection; a few spare for the readiness probe.
            MaxConnectionsPerServer = Math.Max(o.RegisterConcurrency, o.RenewConcurrency) + o.DeltaClients + o.FullFetchers + 8,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public async Task RunAsync()
    {
        _apps = Enumerable.Range(0, options.Apps).Select(a => $"BENCH-APP-{a.ToString("D3", CultureInfo.InvariantCulture)}").ToArray();
        RssBefore = ServerProcessInfo.StatusBytes(serverPid, "VmRSS");

        Console.WriteLine($"registering {options.Instances:N0} instances over {options.Apps} apps ({options.RegisterConcurrency} in flight)...");
        var sw = Stopwatch.StartNew();
        await RegisterAllAsync().ConfigureAwait(false);
        RegistrationTime = sw.Elapsed;
        // Let the server settle (caches, deferred allocations) before reading its memory.
        await Task.Delay(2000).ConfigureAwait(false);
        RssAfterRegistration = ServerProcessInfo.StatusBytes(serverPid, "VmRSS");
        RegistryCount = await CountRegisteredAsync().ConfigureAwait(false);
        if (RegistryCount != options.Instances)
        {
            Error($"registry lists {RegistryCount} instances after registering {options.Instances}");
        }

        Console.WriteLine($"renewing at {options.RenewsPerSecond:N0}/s with {options.DeltaClients} delta clients and {options.FullFetchers} full fetchers for {options.Seconds} s...");
        var cpuBefore = ServerProcessInfo.CpuTime(serverPid);
        sw.Restart();
        var t0 = Stopwatch.GetTimestamp();
        var end = t0 + (long)options.Seconds * Stopwatch.Frequency;
        var tasks = new List<Task>();
        if (options.RenewsPerSecond > 0)
        {
            long ticket = -1;
            var ticksPerRenew = (double)Stopwatch.Frequency / options.RenewsPerSecond;
            for (var w = 0; w < options.RenewConcurrency; w++)
            {
                tasks.Add(Task.Run(() => RenewWorkerAsync(t0, end, ticksPerRenew, () => Interlocked.Increment(ref ticket))));
            }
        }
        for (var c = 0; c < options.DeltaClients; c++)
        {
            var offset = (long)((double)c / options.DeltaClients * options.DeltaIntervalMs * Stopwatch.Frequency / 1000);
            tasks.Add(Task.Run(() => PollAsync("eureka/apps/delta", "delta", Delta, t0 + offset, end, options.DeltaIntervalMs, b => Interlocked.Add(ref _deltaBytes, b))));
        }
        for (var c = 0; c < options.FullFetchers; c++)
        {
            var offset = Stopwatch.Frequency + (long)((double)c / options.FullFetchers * options.FullIntervalMs * Stopwatch.Frequency / 1000);
            tasks.Add(Task.Run(() => PollAsync("eureka/apps", "full fetch", Full, t0 + offset, end, options.FullIntervalMs, b => Interlocked.Add(ref _fullBytes, b))));
        }
        if (options.Burst > 0)
        {
            tasks.Add(Task.Run(async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                var burst = Stopwatch.StartNew();
                await RegisterRangeAsync(options.Instances, options.Instances + options.Burst, new Uri[options.Instances + options.Burst]).ConfigureAwait(false);
                BurstTime = burst.Elapsed;
            }));
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
        LoadTime = sw.Elapsed;
        var cpuAfter = ServerProcessInfo.CpuTime(serverPid);
        ServerCpuDuringLoad = cpuAfter - cpuBefore;
        RssAfterLoad = ServerProcessInfo.StatusBytes(serverPid, "VmRSS");
        PeakRss = ServerProcessInfo.StatusBytes(serverPid, "VmHWM");
    }

    /// <summary>Counts the instances in <c>GET /eureka/apps</c> with a streaming reader (the document can be ~100 MB).</summary>
    private async Task<int?> CountRegisteredAsync()
    {
        try
        {
            var body = await http.GetByteArrayAsync(new Uri(baseUri, "eureka/apps")).ConfigureAwait(false);
            var reader = new Utf8JsonReader(body);
            var count = 0;
            while (reader.Read())
            {
                // Every instance object has exactly one "hostName"; the harness's metadata has no such key.
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("hostName"u8))
                {
                    count++;
                }
            }
            return count;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            Error($"full fetch after registration {ex.GetType().Name}");
            return null;
        }
    }

    private async Task RegisterAllAsync()
    {
        var renewUris = new Uri[options.Instances];
        await RegisterRangeAsync(0, options.Instances, renewUris).ConfigureAwait(false);
        _renewUris = renewUris;
    }

    /// <summary>Registers instances <paramref name="from"/> to <paramref name="to"/> (exclusive), noting their renew addresses.</summary>
    private async Task RegisterRangeAsync(int from, int to, Uri[] renewUris)
    {
        var next = from - 1;
        var uris = _apps.Select(a => new Uri(baseUri, "eureka/apps/" + a)).ToArray();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        async Task Worker()
        {
            var samples = Register.NewPart();
            int i;
            while ((i = Interlocked.Increment(ref next)) < to)
            {
                var appIndex = i % _apps.Length;
                var instance = Instance(i, _apps[appIndex], now);
                renewUris[i] = new Uri(baseUri, $"eureka/apps/{instance.App}/{instance.InstanceId}?status=UP&lastDirtyTimestamp={now.ToString(CultureInfo.InvariantCulture)}");
                using var content = new ByteArrayContent(EurekaJsonWriter.Registration(instance));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsync(uris[appIndex], content).ConfigureAwait(false);
                    samples.Add(Stopwatch.GetTimestamp() - start);
                    if (response.StatusCode != HttpStatusCode.NoContent)
                    {
                        Error($"register {(int)response.StatusCode} (expected 204)");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    Error($"register {ex.GetType().Name}");
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, options.RegisterConcurrency).Select(_ => Task.Run(Worker))).ConfigureAwait(false);
    }

    private static InstanceInfo Instance(int i, string app, long now)
    {
        var host = $"bench-{i.ToString(CultureInfo.InvariantCulture)}.example.internal";
        var ip = $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}";
        return new InstanceInfo
        {
            InstanceId = $"{host}:{app.ToLowerInvariant()}:8080",
            App = app,
            HostName = host,
            IpAddr = ip,
            Port = 8080,
            // The client's default, so the payload stays what Discovery.Client sends.
            SecurePort = 443,
            VipAddress = app.ToLowerInvariant(),
            SecureVipAddress = app.ToLowerInvariant(),
            HomePageUrl = $"http://{host}:8080/",
            StatusPageUrl = $"http://{host}:8080/actuator/info",
            HealthCheckUrl = $"http://{host}:8080/actuator/health",
            Metadata = new Dictionary<string, string> { ["zone"] = "zone-" + (i % 3).ToString(CultureInfo.InvariantCulture) },
            LastUpdatedTimestamp = now,
            LastDirtyTimestamp = now,
        };
    }

    private async Task RenewWorkerAsync(long t0, long end, double ticksPerRenew, Func<long> nextTicket)
    {
        var samples = Renew.NewPart(16 * 1024);
        while (true)
        {
            var k = nextTicket();
            var due = t0 + (long)(k * ticksPerRenew);
            if (due >= end)
            {
                return;
            }
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency)).ConfigureAwait(false);
            }
            var uri = _renewUris[k % _renewUris.Length];
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Put, uri);
                using var response = await http.SendAsync(request).ConfigureAwait(false);
                var done = Stopwatch.GetTimestamp();
                samples.Add(done - start);
                if (done <= end)
                {
                    Interlocked.Increment(ref _renewsInWindow);
                }
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Error($"renew {(int)response.StatusCode}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Error($"renew {ex.GetType().Name}");
            }
        }
    }

    private async Task PollAsync(string path, string what, Latencies latencies, long first, long end, int intervalMs, Action<long> bytes)
    {
        var samples = latencies.NewPart();
        var uri = new Uri(baseUri, path);
        var period = (long)intervalMs * Stopwatch.Frequency / 1000;
        for (var due = first; due < end; due += period)
        {
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency)).ConfigureAwait(false);
            }
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
                var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                samples.Add(Stopwatch.GetTimestamp() - start);
                bytes(body.Length);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Error($"{what} {(int)response.StatusCode}");
                }
                else if (body.Length == 0 || body[0] != (byte)'{')
                {
                    Error($"{what} not JSON");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Error($"{what} {ex.GetType().Name}");
            }
            if (Stopwatch.GetTimestamp() > due + period)
            {
                // A slow answer: skip the missed slots rather than firing a burst.
                due = Stopwatch.GetTimestamp() - period;
            }
        }
    }

    private void Error(string kind) => _errors.AddOrUpdate(kind, 1, (_, n) => n + 1);
}
