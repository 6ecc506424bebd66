using System.Globalization;
using System.Net;
using System.Text.Json;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Faults;

/// <summary>
/// Self-preservation under a mass silence (half the clients stop renewing at once, as when the node they renew through
/// freezes or a partition cuts them off): the server, on a fake clock with its real eviction timer, evicts a lone silent
/// instance while renews are healthy, but once renews fall below <c>RenewalPercentThreshold</c> of the expected ones it
/// stops evicting instead of emptying the registry, and it leaves that mode when the clients come back.
/// </summary>
public sealed class SelfPreservationFaultTests
{
    private const int Fleet = 20;

    [Fact]
    public async Task HalfTheClientsGoSilent_EvictionStops_NothingLost_AndResumesWhenTheyReturn()
    {
        await using var factory = new EurekaServerFactory();
        factory.Settings["Eureka:Server:EnableSelfPreservation"] = "true";
        factory.Settings["Eureka:Server:RenewalPercentThreshold"] = "0.85";
        factory.Settings["Eureka:Server:EvictionIntervalTimerInMs"] = "1000";
        using var http = factory.CreateClient();
        var ids = Enumerable.Range(0, Fleet).Select(i => "m" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        foreach (var id in ids)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(http, "fleet", id, hostName: id)).StatusCode);
        }

        // Healthy phase: 19 clients renew every 30 s (38 renews/min > threshold 34); the one silent straggler is evicted.
        var straggler = ids[0];
        var healthy = ids.Skip(1).ToList();
        await RunAsync(factory, http, TimeSpan.FromMinutes(3), healthy);
        var left = await IdsAsync(http);
        Assert.DoesNotContain(straggler, left);
        Assert.Equal(healthy.Count, left.Count);
        Assert.False(await SelfPreservationActiveAsync(http), "self-preservation active although renews were above the threshold");

        // Fault: 10 of the 19 go silent together. Their leases (90 s) expire long before the 5 minutes are over, but renews
        // fell to 18/min, below the threshold, so the server must keep every one of them.
        var silent = healthy.Take(10).ToList();
        var stillRenewing = healthy.Skip(10).ToList();
        var lost = await RunAsync(factory, http, TimeSpan.FromMinutes(5), stillRenewing, watch: healthy);
        Assert.True(lost.Count == 0, $"evicted while renews were below the threshold: {string.Join(", ", lost)}");
        Assert.True(await SelfPreservationActiveAsync(http), "self-preservation not reported while renews are below the threshold");

        // Recovery: the silent clients renew again; nothing was lost and, a minute later, self-preservation ends.
        await RunAsync(factory, http, TimeSpan.FromMinutes(2), healthy);
        Assert.Equal(healthy.ToHashSet(), (await IdsAsync(http)).ToHashSet());
        Assert.False(await SelfPreservationActiveAsync(http), "self-preservation did not end once renews were back above the threshold");
    }

    /// <summary>Advances the fake clock a second at a time, renewing <paramref name="renewing"/> every 30 s; returns which of <paramref name="watch"/> disappeared.</summary>
    private static async Task<List<string>> RunAsync(EurekaServerFactory factory, HttpClient http, TimeSpan duration, IReadOnlyList<string> renewing, IReadOnlyList<string>? watch = null)
    {
        var lost = new List<string>();
        for (var second = 1; second <= duration.TotalSeconds; second++)
        {
            factory.Time.Advance(TimeSpan.FromSeconds(1));
            // Let the eviction timer that just came due run before the next step.
            await Task.Delay(5);
            if (second % 30 == 0)
            {
                foreach (var id in renewing)
                {
                    using var r = await http.PutAsync($"/eureka/apps/FLEET/{id}", null);
                    Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                }
            }
            if (watch is not null && second % 10 == 0)
            {
                var present = await IdsAsync(http);
                lost.AddRange(watch.Where(w => !present.Contains(w) && !lost.Contains(w)));
            }
        }
        return lost;
    }

    private static async Task<HashSet<string>> IdsAsync(HttpClient http)
    {
        using var doc = await GetJsonAsync(http, "/eureka/apps");
        return InstanceIds(doc, "FLEET").ToHashSet();
    }

    private static async Task<bool> SelfPreservationActiveAsync(HttpClient http)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/actuator/health"));
        return doc.RootElement.GetProperty("components").GetProperty("eureka").GetProperty("details").GetProperty("selfPreservationActive").GetBoolean();
    }
}
