using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Infrastructure.Testing;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>
/// A catalog instance killed (SIGTERM, as an orchestrator stops it) or frozen (SIGSTOP: it still accepts connections and
/// never answers) while the gateway is under load: idempotent calls see no error — refused and reset connections are
/// retried on the other instance at once, a hung one after one read timeout, and the load balancer stops choosing it
/// until the registry drops it. (SIGKILL is not asserted: a response whose body is streaming at that instant cannot be
/// replayed by a streaming proxy.)
/// </summary>
public sealed class CatalogFailoverTests
{
    [Fact]
    public Task CatalogInstanceKilledMidLoad_ZeroClientErrors() => RunAsync("TERM");

    [Fact]
    public Task CatalogInstanceFrozenMidLoad_ZeroClientErrors() => RunAsync("STOP");

    private static async Task RunAsync(string signal)
    {
        var discovery = FreePort.Next();
        var auth = FreePort.Next();
        var gateway = FreePort.Next();
        var catalog = FreePort.Next();
        // Consecutive ports for the two catalog instances.
        while (!IsFree(catalog + 1)) { catalog = FreePort.Next(); }
        await using var lab = await LabProcess.StartAsync(
            ["--only", "discovery,auth,catalog,gateway", "--port",
             string.Create(CultureInfo.InvariantCulture, $"discovery={discovery},auth={auth},gateway={gateway},catalog={catalog}")],
            TimeSpan.FromMinutes(6));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var token = await LabTokens.ClientCredentialsAsync(auth, "catalog.read");
        var url = $"http://127.0.0.1:{gateway}/catalog/api/products";
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        using var stop = new CancellationTokenSource();
        async Task Load()
        {
            while (!stop.IsCancellationRequested)
            {
                using var m = new HttpRequestMessage(HttpMethod.Get, url);
                m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var r = await http.SendAsync(m);
                statuses.Add(r.StatusCode);
            }
        }
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(Load)).ToArray();
        await WaitForAsync(() => statuses.Count >= 40, TimeSpan.FromSeconds(60));

        var victim = Assert.Single(ProcessTable.Find($"--urls http://127.0.0.1:{catalog + 1}"));
        using (var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, victim.ToString(CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }
        var atKill = statuses.Count;
        try
        {
            // Keep the load on across the whole time the registry still lists the dead instance (15 s lease in the lab).
            await WaitForAsync(() => statuses.Count >= atKill + 200, TimeSpan.FromSeconds(120));
            await Task.Delay(TimeSpan.FromSeconds(signal == "STOP" ? 20 : 5));
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }
        finally
        {
            if (signal == "STOP")
            {
                // A stopped process ignores everything but SIGCONT and SIGKILL: let it go on so the lab can stop it.
                using var resume = System.Diagnostics.Process.Start("kill", ["-CONT", victim.ToString(CultureInfo.InvariantCulture)])!;
                await resume.WaitForExitAsync();
            }
        }

        Assert.True(statuses.Count > atKill + 200);
        var errors = statuses.Where(s => s != HttpStatusCode.OK).GroupBy(s => s).Select(g => $"{g.Key}×{g.Count()}").ToList();
        Assert.True(errors.Count == 0, "client-visible errors: " + string.Join(", ", errors));

        await lab.SignalAsync("INT");
        Assert.True(await lab.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException) { return false; }
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }
}
