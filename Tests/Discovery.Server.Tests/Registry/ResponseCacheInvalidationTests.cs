using Infrastructure.Discovery.Server.Registry;
using Infrastructure.Discovery.Server.Tests.Api;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Registry;

/// <summary>Every kind of registry change reaches every cached answer (plain and gzip), at once or at the read-only cache's refresh.</summary>
public sealed class ResponseCacheInvalidationTests
{
    private static readonly CacheKey[] Keys =
    [
        .. from entity in (CacheEntity[])[CacheEntity.AllApps, CacheEntity.Delta, CacheEntity.Application]
           from json in (bool[])[true, false]
           select new CacheKey(entity, entity == CacheEntity.Application ? "A" : string.Empty, json),
    ];

    public static TheoryData<string, bool> Changes()
    {
        var data = new TheoryData<string, bool>();
        foreach (var change in (string[])["register", "renew with status change", "cancel", "status override", "delete override", "eviction", "metadata update"])
        {
            data.Add(change, false);
            data.Add(change, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void GetPayload_AfterEachKindOfChange_NewAnswerPlainAndGzip(string change, bool readOnlyCache)
    {
        var h = new RegistryHarness(o =>
        {
            o.UseReadOnlyResponseCache = readOnlyCache;
            o.EnableSelfPreservation = false;
        });
        h.Registry.Register(Info("a", "1"), false);
        h.Registry.Register(Info("a", "2", duration: 10), false);
        h.Registry.Register(Info("a", "3-overridden"), false);
        h.Registry.StatusUpdate("A", "3-overridden", InstanceStatus.OUT_OF_SERVICE, null, false);
        var before = Keys.ToDictionary(k => k, k => h.Cache.GetPayload(k)!);
        foreach (var payload in before.Values)
        {
            _ = payload.Gzip;
        }

        Apply(h, change);

        if (readOnlyCache)
        {
            // Eureka's read-only cache: clients keep the old answers until the refresh timer copies the new ones over.
            Assert.All(Keys, k => Assert.Same(before[k], h.Cache.GetPayload(k)));
            h.Cache.RefreshReadOnly();
        }
        foreach (var key in Keys)
        {
            var after = h.Cache.GetPayload(key)!;
            Assert.NotSame(before[key], after);
            Assert.NotEqual(before[key].Bytes, after.Bytes);
            Assert.Equal(after.Bytes, GzipAnswerTests.Gunzip(after.Gzip));
        }
        Assert.Equal(EurekaJsonWriter.Applications(h.Registry.GetApplications()), h.Cache.Get(Keys[0]));
        Assert.Equal(EurekaXmlWriter.Applications(h.Registry.GetApplications()), h.Cache.Get(Keys[1]));
    }

    private static void Apply(RegistryHarness h, string change)
    {
        switch (change)
        {
            case "register":
                h.Registry.Register(Info("a", "4"), false);
                break;
            case "renew with status change":
                Assert.Equal(RenewResult.Ok, h.Registry.Renew("A", "1", isReplication: true, overriddenStatus: InstanceStatus.OUT_OF_SERVICE));
                break;
            case "cancel":
                Assert.True(h.Registry.Cancel("A", "1", false));
                break;
            case "status override":
                Assert.True(h.Registry.StatusUpdate("A", "1", InstanceStatus.OUT_OF_SERVICE, null, false));
                break;
            case "delete override":
                Assert.True(h.Registry.DeleteStatusOverride("A", "3-overridden", InstanceStatus.UP, null, false));
                break;
            case "eviction":
                h.Time.Advance(TimeSpan.FromSeconds(30));
                h.Registry.Renew("A", "1", false);
                h.Registry.Renew("A", "3-overridden", false);
                Assert.Single(h.Registry.Evict());
                break;
            case "metadata update":
                Assert.True(h.Registry.UpdateMetadata("A", "1", new Dictionary<string, string> { ["zone"] = "z2" }));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change, null);
        }
    }
}
