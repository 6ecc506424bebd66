using Infrastructure.Discovery.Server.Registry;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Registry;

public sealed class InstanceRegistryTests
{
    [Fact]
    public void Register_LowerCaseApp_IsFoundCaseInsensitivelyAndServedUpperCase()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("orders", "h1:orders:80"), isReplication: false);

        var app = h.Registry.GetApplication("Orders");
        Assert.NotNull(app);
        Assert.Equal("ORDERS", app.Name);
        Assert.True(h.Registry.TryGetInstance("orders", "h1:orders:80", out var i));
        Assert.Equal(ActionType.ADDED, i.Info.ActionType);
        Assert.Equal(h.Time.GetUtcNow().ToUnixTimeMilliseconds(), i.Lease.RegistrationTimestamp);
    }

    [Fact]
    public void GetApplications_MixedStatuses_HashCodeCountsEachStatusInOrder()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("a", "1"), false);
        h.Registry.Register(Info("a", "2"), false);
        h.Registry.Register(Info("b", "3"), false);
        h.Registry.Register(Info("b", "4", InstanceStatus.DOWN), false);

        var apps = h.Registry.GetApplications();

        Assert.Equal("DOWN_1_UP_3_", apps.AppsHashCode);
        Assert.Equal(1, apps.Version);
        Assert.Equal(["A", "B"], apps.Applications.Select(a => a.Name));
    }

    [Fact]
    public void GetApplications_Empty_HashCodeEmpty()
    {
        var h = new RegistryHarness();
        var apps = h.Registry.GetApplications();
        Assert.Equal(string.Empty, apps.AppsHashCode);
        Assert.Empty(apps.Applications);
    }

    [Fact]
    public void Renew_Unknown_NotFound_Known_UpdatesLastRenewal()
    {
        var h = new RegistryHarness();
        Assert.Equal(RenewResult.NotFound, h.Registry.Renew("A", "1", false));
        h.Registry.Register(Info("a", "1"), false);
        h.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(RenewResult.Ok, h.Registry.Renew("a", "1", false));
        Assert.True(h.Registry.TryGetInstance("A", "1", out var i));
        Assert.Equal(h.Time.GetUtcNow().ToUnixTimeMilliseconds(), i.Lease.LastRenewalTimestamp);
        Assert.Equal(1, h.Registry.RenewsLastMinute.LastMinute());
    }

    [Fact]
    public void Renew_ClientDirtyTimestampNewer_NotFoundSoClientReRegisters()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("a", "1", dirty: 1000), false);
        Assert.Equal(RenewResult.NotFound, h.Registry.Renew("a", "1", false, lastDirtyTimestamp: 2000));
        Assert.Equal(RenewResult.Conflict, h.Registry.Renew("a", "1", true, lastDirtyTimestamp: 500));
        Assert.Equal(RenewResult.Ok, h.Registry.Renew("a", "1", false, lastDirtyTimestamp: 1000));
    }

    [Fact]
    public void Register_OlderDirtyTimestampThanExisting_KeepsExistingCopy()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("a", "1", dirty: 2000) with { HomePageUrl = "http://new/" }, false);
        h.Registry.Register(Info("a", "1", dirty: 1000) with { HomePageUrl = "http://old/" }, true);

        Assert.True(h.Registry.TryGetInstance("a", "1", out var i));
        Assert.Equal("http://new/", i.Info.HomePageUrl);
    }

    [Fact]
    public void Cancel_Known_RemovesAndRecordsDeletedInDelta()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("a", "1"), false);
        Assert.True(h.Registry.Cancel("A", "1", false));
        Assert.False(h.Registry.Cancel("A", "1", false));

        Assert.Null(h.Registry.GetApplication("A"));
        var delta = h.Registry.GetDelta();
        var only = Assert.Single(Assert.Single(delta.Applications).Instances);
        Assert.Equal(ActionType.DELETED, only.Info.ActionType);
        Assert.Equal(0, h.Registry.ExpectedNumberOfClientsSendingRenews);
    }

    [Fact]
    public void StatusUpdate_OutOfService_SurvivesReRegistrationAsUp()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("a", "1"), false);
        Assert.True(h.Registry.StatusUpdate("a", "1", InstanceStatus.OUT_OF_SERVICE, null, false));

        // The client restarts and registers UP again: the override still wins (Eureka's OverrideExistsRule).
        h.Registry.Register(Info("a", "1", dirty: 5000), false);
        Assert.True(h.Registry.TryGetInstance("a", "1", out var i));
        Assert.Equal(InstanceStatus.OUT_OF_SERVICE, i.Info.Status);
        Assert.Equal(InstanceStatus.OUT_OF_SERVICE, i.Info.OverriddenStatus);
    }

    [Fact]
    public void StatusUpdate_ClientReportsDown_DownWinsOverOverride()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("a", "1"), false);
        h.Registry.StatusUpdate("a", "1", InstanceStatus.OUT_OF_SERVICE, null, false);
        h.Registry.Register(Info("a", "1", InstanceStatus.DOWN, dirty: 5000), false);

        Assert.True(h.Registry.TryGetInstance("a", "1", out var i));
        Assert.Equal(InstanceStatus.DOWN, i.Info.Status);
    }

    [Fact]
    public void DeleteStatusOverride_WithoutValue_NextRenewIsNotFoundSoClientReRegisters()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("a", "1"), false);
        h.Registry.StatusUpdate("a", "1", InstanceStatus.OUT_OF_SERVICE, null, false);
        Assert.True(h.Registry.DeleteStatusOverride("a", "1", InstanceStatus.UNKNOWN, null, false));

        Assert.True(h.Registry.TryGetInstance("a", "1", out var i));
        Assert.Equal(InstanceStatus.UNKNOWN, i.Info.Status);
        Assert.Equal(InstanceStatus.UNKNOWN, i.Info.OverriddenStatus);
        Assert.Equal(RenewResult.NotFound, h.Registry.Renew("a", "1", false));

        h.Registry.Register(Info("a", "1", dirty: 9000), false);
        Assert.Equal(RenewResult.Ok, h.Registry.Renew("a", "1", false));
        Assert.True(h.Registry.TryGetInstance("a", "1", out i));
        Assert.Equal(InstanceStatus.UP, i.Info.Status);
    }

    [Fact]
    public void UpdateMetadata_MergesKeysAndMarksDirty()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("a", "1") with { Metadata = new Dictionary<string, string> { ["zone"] = "z1" } }, false);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(h.Registry.UpdateMetadata("a", "1", new Dictionary<string, string> { ["version"] = "2" }));

        Assert.True(h.Registry.TryGetInstance("a", "1", out var i));
        Assert.Equal("z1", i.Info.Metadata["zone"]);
        Assert.Equal("2", i.Info.Metadata["version"]);
        Assert.Equal(h.Time.GetUtcNow().ToUnixTimeMilliseconds(), i.Info.LastDirtyTimestamp);
        Assert.Equal(ActionType.MODIFIED, i.Info.ActionType);
    }

    [Fact]
    public void GetDelta_AfterRetention_DropsOldChangesButKeepsHashOfWholeRegistry()
    {
        var h = new RegistryHarness(o => o.RetentionTimeInMSInDeltaQueue = 180_000);
        h.Registry.Register(Info("a", "1"), false);
        h.Time.Advance(TimeSpan.FromMinutes(2));
        h.Registry.Register(Info("b", "2"), false);
        h.Time.Advance(TimeSpan.FromMinutes(2));
        h.Registry.PruneRecentlyChanged();

        var delta = h.Registry.GetDelta();
        var app = Assert.Single(delta.Applications);
        Assert.Equal("B", app.Name);
        Assert.Equal("UP_2_", delta.AppsHashCode);
        Assert.True(h.Registry.GetDelta().Version > delta.Version);
    }

    [Fact]
    public void GetByVip_CommaSeparatedVips_MatchesAnyCaseInsensitively()
    {
        var h = new RegistryHarness();
        h.Registry.Register(Info("a", "1") with { VipAddress = "alpha,beta" }, false);
        h.Registry.Register(Info("b", "2") with { VipAddress = "gamma" }, false);

        Assert.Equal("A", Assert.Single(h.Registry.GetByVip("BETA", secure: false).Applications).Name);
        Assert.Empty(h.Registry.GetByVip("beta", secure: true).Applications);
    }

    [Fact]
    public void MeasuredRate_CountsOnlyTheLastMinute()
    {
        var h = new RegistryHarness();
        var rate = new MeasuredRate(h.Time);
        rate.Increment();
        h.Time.Advance(TimeSpan.FromSeconds(30));
        rate.Increment();
        rate.Increment();
        Assert.Equal(3, rate.LastMinute());
        h.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(2, rate.LastMinute());
        h.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, rate.LastMinute());
    }
}
