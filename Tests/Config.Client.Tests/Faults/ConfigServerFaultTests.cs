using System.Collections.Concurrent;
using System.Diagnostics;
using Infrastructure.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Infrastructure.Config.Client.Tests.Faults;

/// <summary>
/// Config.Server processes SIGKILLed under services that use Config.Client (several URIs, the event stream, the disk
/// cache). What the services see: their values, reloads that found no server, and how long until edits reach them again.
/// </summary>
public sealed class ConfigServerFaultTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly string _repo = Path.Combine(Path.GetTempPath(), "cfgfault-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "cfgfault-cache-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly ITestOutputHelper _output;

    public ConfigServerFaultTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_repo);
        Edit(1);
    }

    public void Dispose()
    {
        foreach (var d in new[] { _repo, _cache })
        {
            try
            {
                Directory.Delete(d, true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// Two Config.Server processes on one repository; four services list both (<c>A,B</c>), subscribed to A's event stream,
    /// with the poll turned off so only the stream can carry an edit, two of them fetching every 100 ms as load. A is
    /// SIGKILLed and the file edited at once: no service ever loses a value or goes back to an older one, no reload finds
    /// no server, every service follows the edit through B's stream, and the next edit too.
    /// </summary>
    [Fact]
    public async Task OneOfTwoServersKilled_ServicesKeepValues_AndFollowEditsThroughTheOther()
    {
        var started = await Task.WhenAll(StartServerAsync(), StartServerAsync());
        var a = started[0];
        await using var b = started[1];
        var logs = new LogCounter();
        var services = Enumerable.Range(0, 4).Select(_ => Service($"{a.BaseUri},{b.BaseUri}", logs, pollSeconds: 0)).ToList();
        try
        {
            var providers = services.Select(Provider).ToList();
            Assert.True(await EventuallyAsync(() => providers.All(p => p.Subscribed && p.SubscribedUri == a.BaseUri)), "the services did not subscribe to A's events");
            Edit(2);
            Assert.True(await EventuallyAsync(() => services.All(s => Value(s) == 2)), "an edit did not reach every service before the kill");

            await using var sampler = new ValueSampler(services);
            // Two services under load (a fetch every 100 ms); the other two only listen, so nothing but the stream's own
            // failover can move them to B.
            await using var load = new ReloadLoad(providers.Take(2).ToList());
            await Task.Delay(1000);
            var killed = Stopwatch.StartNew();
            a.Kill();
            Edit(3);
            var followed = await EventuallyAsync(() => services.All(s => Value(s) == 3));
            var recovery = killed.Elapsed;
            Assert.True(followed, $"an edit made when A was killed did not reach every service through B: [{string.Join(", ", services.Select(Value))}]; subscribed to [{string.Join(", ", providers.Select(p => p.SubscribedUri))}]");
            Assert.All(providers, p => Assert.Equal(b.BaseUri, p.SubscribedUri));

            var edited = Stopwatch.StartNew();
            Edit(4);
            Assert.True(await EventuallyAsync(() => services.All(s => Value(s) == 4)), "the next edit did not reach every service");
            var nextEdit = edited.Elapsed;
            await load.DisposeAsync();
            await sampler.DisposeAsync();

            _output.WriteLine($"A killed: {sampler.Samples} samples of 4 services, {sampler.Problems.Count} missing or older values; " +
                $"{load.Reloads} reloads, {logs.Count(2004)} found no server; kill-and-edit to every service on the new value {recovery.TotalSeconds:0.0} s; next edit {nextEdit.TotalSeconds:0.0} s");
            Assert.True(sampler.Problems.IsEmpty, "a service lost its value or went back: " + string.Join(" | ", sampler.Problems.Take(5)));
            Assert.True(load.Reloads > 0, "the reload load never ran");
            Assert.Equal(0, logs.Count(2004));
        }
        finally
        {
            foreach (var s in services)
            {
                (s as IDisposable)?.Dispose();
            }
            await a.DisposeAsync();
        }
    }

    /// <summary>
    /// One Config.Server, SIGKILLed under a running service that polls every second: the service keeps its last values
    /// (its reloads fail and are logged, nothing is thrown, nothing cleared); a second instance started while the server
    /// is down starts from the disk cache with the same values; when the server returns on its port, both follow the edit
    /// made while it was down, without a restart.
    /// </summary>
    [Fact]
    public async Task OnlyServerKilled_ServiceKeepsValues_NewInstanceStartsFromDiskCache_BothFollowWhenItReturns()
    {
        var port = FreePort.Next();
        var server = await StartServerAsync(port);
        var logs = new LogCounter();
        IConfigurationRoot? second = null;
        ServerProcess? again = null;
        var first = Service(server.BaseUri.ToString(), logs, pollSeconds: 1);
        try
        {
            Assert.True(await EventuallyAsync(() => Provider(first).Subscribed), "the service did not subscribe");
            Edit(2);
            Assert.True(await EventuallyAsync(() => Value(first) == 2), "an edit did not reach the service");

            server.Kill();
            Edit(3);
            var down = Stopwatch.StartNew();
            await using (var sampler = new ValueSampler([first]))
            {
                await Task.Delay(TimeSpan.FromSeconds(4));
                await sampler.DisposeAsync();
                Assert.True(sampler.Problems.IsEmpty, "the service lost its values while the server was down: " + string.Join(" | ", sampler.Problems.Take(5)));
                Assert.True(sampler.Samples > 0);
            }
            Assert.Equal(2, Value(first));
            Assert.True(logs.Count(2004) > 0, "no reload was attempted while the server was down (is the poll running?)");

            var starting = Stopwatch.StartNew();
            second = Service(server.BaseUri.ToString(), logs, pollSeconds: 1);
            var startTime = starting.Elapsed;
            Assert.Equal(2, Value(second));
            Assert.Equal(1, logs.Count(2002));

            again = await StartServerAsync(port);
            var back = Stopwatch.StartNew();
            Assert.True(await EventuallyAsync(() => Value(first) == 3 && Value(second) == 3),
                $"after the server returned: first {Value(first)}, second {Value(second)}");
            _output.WriteLine($"only server killed: value kept for {down.Elapsed.TotalSeconds:0.0} s down ({logs.Count(2004)} failed reloads logged); " +
                $"a new instance started from the disk cache in {startTime.TotalSeconds:0.0} s; both on the new value {back.Elapsed.TotalSeconds:0.0} s after the server was back");
        }
        finally
        {
            (first as IDisposable)?.Dispose();
            (second as IDisposable)?.Dispose();
            await server.DisposeAsync();
            if (again is not null)
            {
                await again.DisposeAsync();
            }
        }
    }

    private void Edit(int pageSize) => File.WriteAllText(Path.Combine(_repo, "catalog.yml"), $"catalog:\n  page-size: {pageSize}\n");

    private Task<ServerProcess> StartServerAsync(int? port = null) => ServerProcess.StartAsync("Config.Server", port, environment: new Dictionary<string, string?>
    {
        ["ConfigServer__Native__SearchLocations"] = _repo,
    });

    private IConfigurationRoot Service(string uris, LogCounter logs, int pollSeconds)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Spring:Application:Name"] = "catalog",
            ["Spring:Cloud:Config:Uri"] = uris,
            ["Spring:Cloud:Config:CacheDirectory"] = _cache,
            ["Spring:Cloud:Config:PollInterval"] = pollSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return new ConfigurationBuilder().AddInMemoryCollection(settings).AddConfigServer("development", "catalog", logs.Factory).Build();
    }

    private static ConfigServerConfigurationProvider Provider(IConfigurationRoot root) => root.Providers.OfType<ConfigServerConfigurationProvider>().Single();

    private static int? Value(IConfigurationRoot root) => int.TryParse(root["catalog:page-size"], out var v) ? v : null;

    private static async Task<bool> EventuallyAsync(Func<bool> done)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            if (sw.Elapsed > Bound)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }

    /// <summary>Reads every service's value every 10 ms, keeping each sample that is missing or older than one seen before.</summary>
    private sealed class ValueSampler : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _samples;

        public ValueSampler(IReadOnlyList<IConfigurationRoot> services)
        {
            var highest = services.Select(Value).ToArray();
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    for (var i = 0; i < services.Count; i++)
                    {
                        var v = Value(services[i]);
                        if (v is null || v < highest[i])
                        {
                            Problems.Enqueue($"service {i}: {v?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing"} after {highest[i]}");
                        }
                        highest[i] = Math.Max(highest[i] ?? 0, v ?? 0);
                        Interlocked.Increment(ref _samples);
                    }
                    try
                    {
                        await Task.Delay(10, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            });
        }

        public int Samples => Volatile.Read(ref _samples);

        public ConcurrentQueue<string> Problems { get; } = new();

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await _stop.CancelAsync();
                await _loop;
            }
        }
    }

    /// <summary>Each provider fetches again every 100 ms (what many instances polling would do to the servers).</summary>
    private sealed class ReloadLoad : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _reloads;

        public ReloadLoad(IReadOnlyList<ConfigServerConfigurationProvider> providers)
        {
            _loop = Task.WhenAll(providers.Select(p => Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        await p.ReloadAsync(_stop.Token);
                        Interlocked.Increment(ref _reloads);
                        await Task.Delay(100, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            })));
        }

        public int Reloads => Volatile.Read(ref _reloads);

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await _stop.CancelAsync();
                await _loop;
            }
        }
    }

    /// <summary>Counts the provider's log events by id (2002 start without a server, 2004 reload found no server).</summary>
    private sealed class LogCounter : ILoggerProvider
    {
        private readonly ConcurrentDictionary<int, int> _counts = new();

        public LogCounter() => Factory = LoggerFactory.Create(b => b.AddProvider(this));

        public ILoggerFactory Factory { get; }

        public int Count(int eventId) => _counts.GetValueOrDefault(eventId);

        public ILogger CreateLogger(string categoryName) => new Counter(this);

        public void Dispose()
        {
        }

        private sealed class Counter(LogCounter owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._counts.AddOrUpdate(eventId.Id, 1, (_, n) => n + 1);
        }
    }
}
