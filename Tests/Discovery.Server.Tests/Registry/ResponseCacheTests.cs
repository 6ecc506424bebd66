using System.Text;
using Infrastructure.Discovery.Server.Registry;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Registry;

public sealed class ResponseCacheTests
{
    private static readonly CacheKey AllJson = new(CacheEntity.AllApps, string.Empty, Json: true);

    [Fact]
    public void Get_Repeated_SerializesOnce()
    {
        var h = new RegistryHarness(o => o.UseReadOnlyResponseCache = false);
        h.Registry.Register(Info("a", "1"), false);

        var first = h.Cache.Get(AllJson);
        for (var i = 0; i < 1000; i++)
        {
            Assert.Same(first, h.Cache.Get(AllJson));
        }
        Assert.Equal(1, h.Cache.Serializations);
    }

    [Fact]
    public async Task Get_ManyConcurrentMissesAfterInvalidation_SerializeOnce()
    {
        var h = new RegistryHarness(o => o.UseReadOnlyResponseCache = false);
        for (var i = 0; i < 2000; i++)
        {
            h.Registry.Register(Info("a", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), false);
        }
        var before = h.Cache.Serializations;

        var payloads = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => h.Cache.Get(AllJson))));

        Assert.Equal(1, h.Cache.Serializations - before);
        Assert.All(payloads, p => Assert.Same(payloads[0], p));
    }

    [Fact]
    public void Get_AfterChange_ReadWriteCacheIsInvalidated()
    {
        var h = new RegistryHarness(o => o.UseReadOnlyResponseCache = false);
        var before = Encoding.UTF8.GetString(h.Cache.Get(AllJson)!);
        h.Registry.Register(Info("a", "1"), false);
        var after = Encoding.UTF8.GetString(h.Cache.Get(AllJson)!);

        Assert.DoesNotContain("\"A\"", before, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"A\"", after, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_ReadOnlyCache_StaysStaleUntilRefresh()
    {
        var h = new RegistryHarness(o => o.UseReadOnlyResponseCache = true);
        var stale = h.Cache.Get(AllJson);
        h.Registry.Register(Info("a", "1"), false);
        Assert.Same(stale, h.Cache.Get(AllJson));

        h.Cache.RefreshReadOnly();

        Assert.Contains("\"name\":\"A\"", Encoding.UTF8.GetString(h.Cache.Get(AllJson)!), StringComparison.Ordinal);
    }

    [Fact]
    public void Get_UnknownApplication_Null()
    {
        var h = new RegistryHarness();
        Assert.Null(h.Cache.Get(new CacheKey(CacheEntity.Application, "NOPE", Json: true)));
    }
}
