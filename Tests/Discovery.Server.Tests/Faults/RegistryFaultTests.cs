using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Infrastructure.Testing;
using Xunit.Abstractions;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Faults;

/// <summary>
/// Registry nodes (real processes) killed with SIGKILL or cut off from each other by a TCP relay the test controls.
/// What clients see (errors on idempotent calls), how the nodes recover and whether any registration is lost.
/// </summary>
public sealed class RegistryFaultTests(ITestOutputHelper output)
{
    private const string App = "FAULT";

    /// <summary>
    /// Three peers. Registrations made on A reach B and C; A is SIGKILLed; B and C keep serving them and renewals sent to B
    /// keep them alive (an unrenewed one with the same lease is evicted, so eviction is really running); A restarts on
    /// the same port, syncs from a peer, and from its first answer on serves the same instances as B — including one
    /// that was never renewed after the kill, which only the start-up sync can bring back.
    /// </summary>
    [Fact]
    public async Task NodeKilled_PeersServeAndRenew_RestartedNodeSyncsSameInstances()
    {
        var ports = new[] { FreePort.Next(), FreePort.Next(), FreePort.Next() };
        var env = new Dictionary<string, string?>
        {
            ["Eureka__Client__ServiceUrl__DefaultZone"] = string.Join(",", ports.Select(p => $"http://127.0.0.1:{p}/eureka/")),
            ["Eureka__Server__EnableSelfPreservation"] = "false",
            ["Eureka__Server__EvictionIntervalTimerInMs"] = "500",
            ["Eureka__Server__UseReadOnlyResponseCache"] = "false",
            ["Eureka__Server__RegistrySyncRetries"] = "3",
            ["Eureka__Server__RegistrySyncRetryWaitMs"] = "1000",
            ["Eureka__Server__NumberOfReplicationRetries"] = "1",
        };
        var started = await Task.WhenAll(ports.Select(p => ServerProcess.StartAsync("Discovery.Server", p, environment: env)));
        var a = started[0];
        await using var b = started[1];
        await using var c = started[2];
        ServerProcess? restarted = null;
        try
        {
            using var httpA = Client(a.BaseUri);
            using var httpB = Client(b.BaseUri);
            using var httpC = Client(c.BaseUri);

            // Short leases so eviction is visible within the test; "synced" has a long one and is never renewed.
            foreach (var (id, lease) in new[] { ("renewed-1", 8), ("renewed-2", 8), ("abandoned", 8), ("synced", 300) })
            {
                Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(httpA, id, lease)).StatusCode);
            }
            string[] alive = ["renewed-1", "renewed-2", "synced"];
            Assert.True(await EventuallyAsync(async () => (await IdsAsync(httpB)).Count == 4 && (await IdsAsync(httpC)).Count == 4, TimeSpan.FromSeconds(20)),
                "B and C never received A's registrations");

            await using (var renewer = new Renewer(httpA, ["renewed-1", "renewed-2"]))
            {
                await Task.Delay(1500);
                a.Kill();
                renewer.SwitchTo(httpB);

                // For two lease durations after the kill every read of B and C must list the live instances.
                var errors = new List<string>();
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(18);
                while (DateTime.UtcNow < deadline)
                {
                    foreach (var (name, http) in new[] { ("B", httpB), ("C", httpC) })
                    {
                        try
                        {
                            var ids = await IdsAsync(http);
                            if (!ids.IsSupersetOf(alive))
                            {
                                errors.Add($"{name} lost instances: it served [{string.Join(", ", ids)}]");
                            }
                        }
                        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                        {
                            errors.Add($"{name}: {ex.Message}");
                        }
                    }
                    await Task.Delay(300);
                }
                Assert.True(errors.Count == 0, "client-visible errors on the surviving nodes: " + string.Join(" | ", errors.Distinct()));
                Assert.True(renewer.Failures(httpB) == 0, "renewals sent to B failed: " + renewer.Describe());
                Assert.True(renewer.Successes(httpB) > 10, "too few renewals reached B: " + renewer.Describe());
                // The unrenewed lease of the same length is gone: eviction ran, so the renewals on B are what kept the others.
                Assert.DoesNotContain("abandoned", await IdsAsync(httpB));
                Assert.DoesNotContain("abandoned", await IdsAsync(httpC));

                // Restart A on its port while a client reads its registry as fast as it can from the first moment it listens.
                var probe = new RegistryProbe(a.BaseUri);
                try
                {
                    restarted = await ServerProcess.StartAsync("Discovery.Server", ports[0], environment: env);
                    Assert.True(await EventuallyAsync(async () => (await IdsAsync(httpA)).SetEquals(await IdsAsync(httpB)), TimeSpan.FromSeconds(20)),
                        $"restarted A serves [{string.Join(", ", await IdsAsync(httpA))}], B [{string.Join(", ", await IdsAsync(httpB))}]");
                    Assert.True((await IdsAsync(httpA)).SetEquals(alive), "restarted A: " + string.Join(", ", await IdsAsync(httpA)));
                    await Task.Delay(1000);
                }
                finally
                {
                    await probe.DisposeAsync();
                }
                // No registry read answered by the restarted node ever lacked an instance the cluster still had.
                output.WriteLine($"kill: {renewer.Successes(httpB)} renewals on B, 0 failed; restarted A answered {probe.Answers} registry reads, {probe.Incomplete.Count} incomplete");
                Assert.True(probe.Answers > 0, "the probe never got an answer from the restarted node");
                Assert.True(probe.Incomplete.IsEmpty,
                    $"restarted A answered {probe.Incomplete.Count} of {probe.Answers} reads without all instances, first: [{probe.Incomplete.FirstOrDefault()}]");
            }
        }
        finally
        {
            await a.DisposeAsync();
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Two peers that reach each other only through relays the test cuts (a partition; neither process is stopped).
    /// While cut, each side keeps what was registered on it and clients of either side see no error; after healing, the
    /// next renewals repair the other side (a renew answered 404 is followed by a register), so both serve the union.
    /// </summary>
    [Fact]
    public async Task Partition_EachSideKeepsItsInstances_HealedSidesConverge()
    {
        var portA = FreePort.Next();
        var portB = FreePort.Next();
        await using var toB = new TcpRelay(portB);
        await using var toA = new TcpRelay(portA);
        Dictionary<string, string?> Env(int peerPort) => new()
        {
            ["Eureka__Client__ServiceUrl__DefaultZone"] = $"http://127.0.0.1:{peerPort}/eureka/",
            ["Eureka__Server__EvictionIntervalTimerInMs"] = "1000",
            ["Eureka__Server__UseReadOnlyResponseCache"] = "false",
            ["Eureka__Server__RegistrySyncRetries"] = "0",
            ["Eureka__Server__NumberOfReplicationRetries"] = "2",
            ["Eureka__Server__PeerNodeReadTimeoutMs"] = "2000",
        };
        var started = await Task.WhenAll(
            ServerProcess.StartAsync("Discovery.Server", portA, environment: Env(toB.Port)),
            ServerProcess.StartAsync("Discovery.Server", portB, environment: Env(toA.Port)));
        await using var a = started[0];
        await using var b = started[1];
        using var httpA = Client(a.BaseUri);
        using var httpB = Client(b.BaseUri);

        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(httpA, "before", 90)).StatusCode);
        Assert.True(await EventuallyAsync(async () => (await IdsAsync(httpB)).Contains("before"), TimeSpan.FromSeconds(20)), "no replication before the partition");

        toA.Cut();
        toB.Cut();
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(httpA, "left", 90)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(httpB, "right", 90)).StatusCode);
        // Each client goes on renewing at the node it registered with.
        await using var renewOnA = new Renewer(httpA, ["before", "left"]);
        await using var renewOnB = new Renewer(httpB, ["right"]);

        // Long enough for every retry of the two registrations to fail and for renewals to fail to replicate.
        var errors = new List<string>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(8);
        while (DateTime.UtcNow < until)
        {
            try
            {
                var left = await IdsAsync(httpA);
                var right = await IdsAsync(httpB);
                if (!left.SetEquals(["before", "left"]) || !right.SetEquals(["before", "right"]))
                {
                    errors.Add($"A [{string.Join(", ", left)}] B [{string.Join(", ", right)}]");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                errors.Add(ex.Message);
            }
            await Task.Delay(250);
        }
        Assert.True(toA.Refused + toB.Refused > 0, "the relays saw no connection attempt while cut: the nodes did not try to replicate through them");
        Assert.True(errors.Count == 0, "while partitioned: " + string.Join(" | ", errors.Distinct()));
        Assert.Equal(0, renewOnA.Failures(httpA) + renewOnB.Failures(httpB));
        Assert.True(await EventuallyAsync(() => PeersReachableAsync(httpA, 0), TimeSpan.FromSeconds(10)), "A does not report its peer unreachable");

        toA.Restore();
        toB.Restore();
        var healing = System.Diagnostics.Stopwatch.StartNew();
        string[] union = ["before", "left", "right"];
        Assert.True(await EventuallyAsync(async () => (await IdsAsync(httpA)).SetEquals(union) && (await IdsAsync(httpB)).SetEquals(union), TimeSpan.FromSeconds(30)),
            $"no convergence after healing: A [{string.Join(", ", await IdsAsync(httpA))}] B [{string.Join(", ", await IdsAsync(httpB))}]");
        output.WriteLine($"partition: {toA.Refused + toB.Refused} peer connections refused while cut; both sides served the union {healing.Elapsed.TotalSeconds:0.0} s after healing");
        Assert.True(await EventuallyAsync(() => PeersReachableAsync(httpA, 1), TimeSpan.FromSeconds(10)), "A does not report its peer reachable again");
        Assert.Equal(0, renewOnA.Failures(httpA) + renewOnB.Failures(httpB));
    }

    /// <summary>
    /// Two peers; B is SIGSTOPped for 14 s (its kernel still accepts connections, nothing answers: a hung node, unlike a
    /// partition, which refuses). A keeps answering registrations, renewals and fetches of its ten instances within a
    /// bound the peer timeout would exceed, its replication calls to B time out (<c>PeerNodeReadTimeoutMs</c>) and are
    /// given up, and A reports B unreachable. After SIGCONT, B — whose clock jumped 14 s past leases of 5 s — evicts none
    /// of the instances that kept renewing at A (Eureka's eviction compensation for a paused process), and both serve the same set.
    /// </summary>
    [Fact]
    public async Task PeerFrozen_OtherAnswersPromptly_ThawedPeerKeepsLiveInstancesAndConverges()
    {
        var portA = FreePort.Next();
        var portB = FreePort.Next();
        var env = new Dictionary<string, string?>
        {
            ["Eureka__Client__ServiceUrl__DefaultZone"] = $"http://127.0.0.1:{portA}/eureka/,http://127.0.0.1:{portB}/eureka/",
            ["Eureka__Server__EnableSelfPreservation"] = "false",
            ["Eureka__Server__EvictionIntervalTimerInMs"] = "500",
            ["Eureka__Server__UseReadOnlyResponseCache"] = "false",
            ["Eureka__Server__RegistrySyncRetries"] = "0",
            ["Eureka__Server__NumberOfReplicationRetries"] = "2",
            // Long enough that hardly any replicated renewal sits in B's socket buffers when it resumes (those would renew
            // a few leases first and hide the clock jump from the eviction timer).
            ["Eureka__Server__PeerNodeReadTimeoutMs"] = "10000",
        };
        var started = await Task.WhenAll(
            ServerProcess.StartAsync("Discovery.Server", portA, environment: env),
            ServerProcess.StartAsync("Discovery.Server", portB, environment: env));
        await using var a = started[0];
        await using var b = started[1];
        using var httpA = Client(a.BaseUri);
        using var httpB = Client(b.BaseUri);
        var frozen = false;
        try
        {
            var live = Enumerable.Range(1, 10).Select(i => $"live-{i}").ToArray();
            foreach (var id in live)
            {
                Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(httpA, id, 5)).StatusCode);
            }
            await using var renewer = new Renewer(httpA, live);
            Assert.True(await EventuallyAsync(async () => (await IdsAsync(httpB)).SetEquals(live), TimeSpan.FromSeconds(20)), "no replication before the freeze");

            await Signal(b, "STOP");
            frozen = true;
            var slowest = TimeSpan.Zero;
            var errors = new List<string>();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var registered = false;
            Renewer? laterRenewer = null;
            try
            {
                while (sw.Elapsed < TimeSpan.FromSeconds(14))
                {
                    var call = System.Diagnostics.Stopwatch.StartNew();
                    try
                    {
                        if (!registered && sw.Elapsed > TimeSpan.FromSeconds(2))
                        {
                            using var r = await RegisterAsync(httpA, "during", 5);
                            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
                            registered = true;
                            laterRenewer = new Renewer(httpA, ["during"]);
                        }
                        var ids = await IdsAsync(httpA);
                        string[] expected = registered ? [.. live, "during"] : live;
                        if (!ids.SetEquals(expected))
                        {
                            errors.Add($"A served [{string.Join(", ", ids)}]");
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        errors.Add("A: " + ex.Message);
                    }
                    slowest = call.Elapsed > slowest ? call.Elapsed : slowest;
                    await Task.Delay(250);
                }
                Assert.True(errors.Count == 0, "while B was frozen: " + string.Join(" | ", errors.Distinct()));
                Assert.Equal(0, renewer.Failures(httpA));
                // Every call to A answered before a single replication call to B could even time out.
                Assert.True(slowest < TimeSpan.FromSeconds(3), $"a call to A took {slowest.TotalSeconds:0.0} s while B was frozen: it waited for the peer");
                Assert.True(await PeersReachableAsync(httpA, 0), "A does not report the frozen peer unreachable");

                await Signal(b, "CONT");
                frozen = false;
                var thawed = System.Diagnostics.Stopwatch.StartNew();
                // From the first moment B runs again, every answer it gives must list the instances that kept renewing at A.
                var probe = new RegistryProbe(b.BaseUri, live);
                string[] all = [.. live, "during"];
                try
                {
                    Assert.True(await EventuallyAsync(async () => (await IdsAsync(httpB)).SetEquals(all) && (await IdsAsync(httpA)).SetEquals(all), TimeSpan.FromSeconds(30)),
                        $"no convergence after SIGCONT: A [{string.Join(", ", await IdsAsync(httpA))}] B [{string.Join(", ", await IdsAsync(httpB))}]");
                    var converged = thawed.Elapsed;
                    await Task.Delay(3000);
                    Assert.True((await IdsAsync(httpB)).SetEquals(all), "B lost instances after converging: " + string.Join(", ", await IdsAsync(httpB)));
                    Assert.True(await EventuallyAsync(() => PeersReachableAsync(httpA, 1), TimeSpan.FromSeconds(10)), "A does not report B reachable again");
                    await probe.DisposeAsync();
                    var timeouts = a.Output.Split('\n').Count(l => l.Contains("Replication to", StringComparison.Ordinal) && l.Contains(portB.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
                    output.WriteLine($"B frozen 14 s: A answered every call, slowest {slowest.TotalMilliseconds:0} ms, {renewer.Successes(httpA)} renewals 0 failed; " +
                        $"{timeouts} replication attempts to B failed (timed out); after SIGCONT B answered {probe.Answers} reads, {probe.Incomplete.Count} without a live instance; both served the same {all.Length} instances {converged.TotalSeconds:0.0} s after SIGCONT");
                    Assert.True(probe.Answers > 0, "the probe never got an answer from the thawed node");
                    Assert.True(probe.Incomplete.IsEmpty,
                        $"thawed B answered {probe.Incomplete.Count} of {probe.Answers} reads without instances that were renewing at A, first: [{probe.Incomplete.FirstOrDefault()}]\n" + b.Output);
                }
                finally
                {
                    await probe.DisposeAsync();
                }
            }
            finally
            {
                if (laterRenewer is not null)
                {
                    await laterRenewer.DisposeAsync();
                }
            }
        }
        finally
        {
            if (frozen)
            {
                await Signal(b, "CONT");
            }
        }
    }

    private static async Task Signal(ServerProcess process, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-s", signal, process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    private static HttpClient Client(Uri baseUri) => new() { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };

    private static async Task<HttpResponseMessage> RegisterAsync(HttpClient http, string id, int durationInSecs)
    {
        var body = JsonBody(App, id, hostName: id);
        body["instance"]!["leaseInfo"] = new JsonObject { ["renewalIntervalInSecs"] = 1, ["durationInSecs"] = durationInSecs };
        using var content = Content(body);
        return await http.PostAsync($"/eureka/apps/{App}", content);
    }

    private static async Task<HashSet<string>> IdsAsync(HttpClient http)
    {
        using var doc = await GetJsonAsync(http, "/eureka/apps");
        return InstanceIds(doc, App).ToHashSet();
    }

    private static async Task<bool> PeersReachableAsync(HttpClient http, int expected)
    {
        using var health = JsonDocument.Parse(await http.GetStringAsync("/actuator/health"));
        return health.RootElement.GetProperty("components").GetProperty("eureka").GetProperty("details").GetProperty("peersReachable").GetInt32() == expected;
    }

    /// <summary>Renews instances once a second, as their clients would, counting answers per node.</summary>
    private sealed class Renewer : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<(HttpClient, bool), int> _counts = new();
        private readonly ConcurrentQueue<string> _failures = new();
        private readonly Task _loop;
        private HttpClient _target;

        public Renewer(HttpClient target, string[] ids)
        {
            _target = target;
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var http = Volatile.Read(ref _target);
                    foreach (var id in ids)
                    {
                        try
                        {
                            using var r = await http.PutAsync($"/eureka/apps/{App}/{id}", null, _stop.Token);
                            Count(http, r.StatusCode == HttpStatusCode.OK, $"{id}: {(int)r.StatusCode}");
                        }
                        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                        {
                            return;
                        }
                        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                        {
                            // A renewal that was already on its way to the node being killed is not the survivors' failure.
                            if (ReferenceEquals(http, Volatile.Read(ref _target)))
                            {
                                Count(http, false, $"{id}: {ex.Message}");
                            }
                        }
                    }
                    try
                    {
                        await Task.Delay(1000, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            });
        }

        public void SwitchTo(HttpClient target) => Volatile.Write(ref _target, target);

        public int Failures(HttpClient http) => _counts.GetValueOrDefault((http, false));

        public int Successes(HttpClient http) => _counts.GetValueOrDefault((http, true));

        public string Describe() => string.Join(" | ", _failures.Take(10));

        private void Count(HttpClient http, bool ok, string what)
        {
            _counts.AddOrUpdate((http, ok), 1, (_, n) => n + 1);
            if (!ok)
            {
                _failures.Enqueue(what);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }

    /// <summary>Reads <c>/eureka/apps</c> of one node in a tight loop, keeping every answer that lacks an expected instance.</summary>
    private sealed class RegistryProbe : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _answers;
        private bool _disposed;

        public RegistryProbe(Uri node, params string[] expected)
        {
            _loop = Task.Run(async () =>
            {
                using var http = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromSeconds(5) };
                string[] want = expected.Length > 0 ? expected : ["renewed-1", "renewed-2", "synced"];
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Get, "/eureka/apps");
                        request.Headers.Accept.ParseAdd("application/json");
                        using var response = await http.SendAsync(request, _stop.Token);
                        if (response.IsSuccessStatusCode)
                        {
                            Interlocked.Increment(ref _answers);
                            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(_stop.Token));
                            var ids = InstanceIds(doc, App);
                            if (!want.All(ids.Contains))
                            {
                                Incomplete.Enqueue(string.Join(", ", ids));
                            }
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                    {
                        // Not listening yet (or a refusal): a client would try another node.
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

        public int Answers => Volatile.Read(ref _answers);

        public ConcurrentQueue<string> Incomplete { get; } = new();

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }
}
