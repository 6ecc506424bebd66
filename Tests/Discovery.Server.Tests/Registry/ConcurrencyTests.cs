using System.Text;
using System.Text.Json;
using Infrastructure.Discovery.Server.Registry;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Registry;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task ParallelWritesAndReads_EndStateConsistentAndPayloadsAlwaysValid()
    {
        var h = new RegistryHarness(o => o.UseReadOnlyResponseCache = false);
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 300; i++)
            {
                var id = $"w{w}-{i}";
                h.Registry.Register(Info($"app{i % 5}", id), false);
                h.Registry.Renew($"APP{i % 5}", id, false);
                if (i % 3 == 0)
                {
                    h.Registry.Cancel($"app{i % 5}", id, false);
                }
                else if (i % 3 == 1)
                {
                    h.Registry.StatusUpdate($"app{i % 5}", id, InstanceStatus.OUT_OF_SERVICE, null, false);
                }
            }
        }));
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 50; i++)
            {
                using var all = JsonDocument.Parse(h.Cache.Get(new CacheKey(CacheEntity.AllApps, string.Empty, Json: true))!);
                using var delta = JsonDocument.Parse(h.Cache.Get(new CacheKey(CacheEntity.Delta, string.Empty, Json: true))!);
                Assert.StartsWith("<applications>", Encoding.UTF8.GetString(h.Cache.Get(new CacheKey(CacheEntity.AllApps, string.Empty, Json: false))!), StringComparison.Ordinal);
            }
        }));
        await Task.WhenAll(writers.Concat(readers));

        // 8 writers × 300, a third cancelled: 1600 remain, half of them overridden OUT_OF_SERVICE.
        Assert.Equal(1600, h.Registry.Count);
        Assert.Equal("OUT_OF_SERVICE_800_UP_800_", h.Registry.GetApplications().AppsHashCode);
        Assert.Equal(h.Registry.GetApplications().AppsHashCode, h.Registry.CurrentHashCode());
        using var final = JsonDocument.Parse(h.Cache.Get(new CacheKey(CacheEntity.AllApps, string.Empty, Json: true))!);
        Assert.Equal(1600, final.RootElement.GetProperty("applications").GetProperty("application").EnumerateArray()
            .Sum(a => a.GetProperty("instance").GetArrayLength()));
        Assert.Equal(1600, h.Registry.ExpectedNumberOfClientsSendingRenews);
    }
}
