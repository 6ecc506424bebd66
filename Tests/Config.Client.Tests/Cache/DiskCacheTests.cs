using Infrastructure.Config.Client.Cache;
using Microsoft.Extensions.Logging.Abstractions;

namespace Infrastructure.Config.Client.Tests.Cache;

public sealed class DiskCacheTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cfgcache-unit-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private DiskCache Cache(string? label = null, string? directory = null) =>
        new(new ConfigServerClientSettings { Name = "catalog", Profile = "dev,cloud", Label = label, CacheDirectory = directory ?? _dir }, NullLogger.Instance);

    [Fact]
    public void Read_AfterWrite_ReturnsTheFlattenedCopy()
    {
        Cache().Write("""{"propertySources":[{"name":"a","source":{"catalog.page-size":5}}]}""");

        var data = Cache().Read();

        Assert.NotNull(data);
        Assert.Equal("5", data["catalog:page-size"]);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Path_NameProfileLabel_OneSanitizedFilePerCombination()
    {
        Assert.Equal(Path.Combine(_dir, "catalog_dev_cloud_release_1.json"), Cache("release/1").Path);
        Assert.Equal(Path.Combine(_dir, "catalog_dev_cloud_.json"), Cache().Path);
    }

    [Fact]
    public void Read_NothingWritten_ReturnsNull() => Assert.Null(Cache().Read());

    [Fact]
    public void Read_BrokenFile_ReturnsNull()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Cache().Path!, "{ not json");
        Assert.Null(Cache().Read());
        File.WriteAllText(Cache().Path!, """{"name":"no sources"}""");
        Assert.Null(Cache().Read());
    }

    [Fact]
    public void WriteAndRead_EmptyDirectory_CacheIsOff()
    {
        var off = Cache(directory: "");
        off.Write("""{"propertySources":[]}""");
        Assert.Null(off.Path);
        Assert.Null(off.Read());
        Assert.False(Directory.Exists(_dir));
    }
}
