using Infrastructure.Gateway.Dashboard;
using Infrastructure.Gateway.Resilience;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace Infrastructure.Gateway.Tests.Dashboard;

public sealed class RollingStatsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private RollingStats NewStats(int buckets = 10, int bucketMs = 1000) => new(buckets, bucketMs, _time.TimestampFrequency, _time.GetTimestamp());

    [Fact]
    public void Snapshot_MixedOutcomes_CountsEachKind()
    {
        var stats = NewStats();
        stats.Record(_time.GetTimestamp(), RequestOutcome.Success, TimeSpan.FromMilliseconds(10));
        stats.Record(_time.GetTimestamp(), RequestOutcome.Success, TimeSpan.FromMilliseconds(10));
        stats.Record(_time.GetTimestamp(), RequestOutcome.Failure, TimeSpan.FromMilliseconds(10));
        stats.Record(_time.GetTimestamp(), RequestOutcome.Timeout, TimeSpan.FromMilliseconds(1000));
        stats.Record(_time.GetTimestamp(), RequestOutcome.ShortCircuited, TimeSpan.FromMilliseconds(1));
        stats.Record(_time.GetTimestamp(), RequestOutcome.RateLimited, TimeSpan.FromMilliseconds(1));

        var s = stats.Snapshot(_time.GetTimestamp());

        Assert.Equal(6, s.Requests);
        Assert.Equal(3, s.Errors);
        Assert.Equal(1, s.Timeouts);
        Assert.Equal(1, s.ShortCircuited);
        Assert.Equal(1, s.RateLimited);
        Assert.Equal(2, s.Successes);
        Assert.Equal(50, s.ErrorPercentage);
        Assert.Equal(1000, s.MaxMs, 3);
        Assert.Equal((10 + 10 + 10 + 1000 + 1 + 1) / 6.0, s.MeanMs, 3);
    }

    [Fact]
    public void Snapshot_AfterTheWindow_OldBucketsDropOut()
    {
        var stats = NewStats(buckets: 5, bucketMs: 200);
        stats.Record(_time.GetTimestamp(), RequestOutcome.Failure, TimeSpan.FromMilliseconds(5));
        _time.Advance(TimeSpan.FromMilliseconds(600));
        stats.Record(_time.GetTimestamp(), RequestOutcome.Success, TimeSpan.FromMilliseconds(5));

        var both = stats.Snapshot(_time.GetTimestamp());
        Assert.Equal(2, both.Requests);
        Assert.Equal(1, both.Errors);

        // 1 s window: the failure's bucket leaves it, the success's stays.
        _time.Advance(TimeSpan.FromMilliseconds(500));
        var later = stats.Snapshot(_time.GetTimestamp());
        Assert.Equal(1, later.Requests);
        Assert.Equal(0, later.Errors);
        Assert.False(stats.IsIdle(_time.GetTimestamp()));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, stats.Snapshot(_time.GetTimestamp()).Requests);
        Assert.True(stats.IsIdle(_time.GetTimestamp()));
    }

    [Fact]
    public void Record_SlotReusedAfterAWindow_StartsFromZero()
    {
        var stats = NewStats(buckets: 2, bucketMs: 100);
        for (var i = 0; i < 5; i++)
        {
            stats.Record(_time.GetTimestamp(), RequestOutcome.Failure, TimeSpan.FromMilliseconds(900));
        }
        // Two windows later the same ring slot serves a new time slot: nothing of the old one may leak in.
        _time.Advance(TimeSpan.FromMilliseconds(400));
        stats.Record(_time.GetTimestamp(), RequestOutcome.Success, TimeSpan.FromMilliseconds(2));

        var s = stats.Snapshot(_time.GetTimestamp());
        Assert.Equal(1, s.Requests);
        Assert.Equal(0, s.Errors);
        Assert.Equal(2, s.MaxMs, 3);
    }

    [Fact]
    public void Percentiles_UniformLatencies_WithinHistogramResolution()
    {
        var stats = NewStats();
        for (var ms = 1; ms <= 100; ms++)
        {
            stats.Record(_time.GetTimestamp(), RequestOutcome.Success, TimeSpan.FromMilliseconds(ms));
        }
        var s = stats.Snapshot(_time.GetTimestamp());

        Assert.Equal(100, s.MaxMs, 3);
        Assert.Equal(100, s.PercentilesMs[8], 3);
        Assert.Equal(50.5, s.MeanMs, 3);
        // Slots are 30-50 and 50-75 around the median, 75-100 at the top: interpolation stays inside them.
        Assert.InRange(s.PercentilesMs[2], 30, 75);
        Assert.InRange(s.P99Ms, 75, 100);
        for (var i = 1; i < s.PercentilesMs.Length; i++)
        {
            Assert.True(s.PercentilesMs[i] >= s.PercentilesMs[i - 1], $"percentiles must not decrease: {string.Join(", ", s.PercentilesMs)}");
        }
    }

    [Fact]
    public void RequestsPerSecond_FullWindow_CountOverWindowLength()
    {
        var stats = NewStats(buckets: 10, bucketMs: 1000);
        for (var second = 0; second < 20; second++)
        {
            for (var i = 0; i < 5; i++)
            {
                stats.Record(_time.GetTimestamp(), RequestOutcome.Success, TimeSpan.FromMilliseconds(1));
            }
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        var s = stats.Snapshot(_time.GetTimestamp());
        // 9 full seconds of 5 plus the current, still empty bucket.
        Assert.Equal(45, s.Requests);
        Assert.InRange(s.RequestsPerSecond, 4.9, 5.1);
    }

    [Fact]
    public async Task Record_ManyThreadsInOneBucket_NoCountLost()
    {
        var stats = NewStats();
        var now = _time.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 25_000; i++)
            {
                stats.Record(now, i % 10 == 0 ? RequestOutcome.Failure : RequestOutcome.Success, TimeSpan.FromMilliseconds(i % 50));
            }
        })));
        var s = stats.Snapshot(now);
        Assert.Equal(100_000, s.Requests);
        Assert.Equal(10_000, s.Errors);
    }

    [Fact]
    public void RequestFinished_StatusKinds_ClassifiedLikeHystrix()
    {
        var metrics = new DashboardMetrics(Options.Create(new DashboardOptions()), _time);
        var provider = new CircuitBreakerStateProvider();
        metrics.RegisterCircuit("orders-cb", provider, "orders", null, new CircuitBreakerSettings());

        metrics.RequestStarted("orders");
        metrics.RequestFinished("orders", null, 429, TimeSpan.FromMilliseconds(1));        // the gateway's rate limiter
        metrics.RequestStarted("orders");
        metrics.RequestFinished("orders", "i1", 429, TimeSpan.FromMilliseconds(1));        // the upstream said 429: not ours
        metrics.RequestStarted("orders");
        metrics.RequestFinished("orders", "i1", 504, TimeSpan.FromMilliseconds(1));
        metrics.RequestStarted("orders");
        metrics.RequestFinished("orders", "i1", 502, TimeSpan.FromMilliseconds(1));
        metrics.RequestStarted("orders");
        metrics.RequestFinished("orders", null, 503, TimeSpan.FromMilliseconds(1));        // closed breaker: a plain failure
        metrics.CircuitTransition("orders-cb", CircuitState.Open);
        metrics.RequestStarted("orders");
        metrics.RequestFinished("orders", null, 503, TimeSpan.FromMilliseconds(1));        // open breaker: short-circuited
        metrics.RequestStarted("orders");

        var route = Assert.Single(metrics.Routes);
        var s = route.Stats.Snapshot(_time.GetTimestamp());
        Assert.Equal(6, s.Requests);
        Assert.Equal(1, s.RateLimited);
        Assert.Equal(1, s.Timeouts);
        Assert.Equal(1, s.ShortCircuited);
        Assert.Equal(4, s.Errors);
        Assert.Equal(1, route.InFlight);
        var instance = Assert.Single(route.Instances.Values);
        Assert.Equal("i1", instance.InstanceId);
        Assert.Equal(3, instance.Stats.Snapshot(_time.GetTimestamp()).Requests);
    }

    [Fact]
    public void CircuitTransition_RecordsStateAndUtcMoment()
    {
        var metrics = new DashboardMetrics(Options.Create(new DashboardOptions()), _time);
        var registeredAt = _time.GetUtcNow();
        metrics.RegisterCircuit("cb/i1", new CircuitBreakerStateProvider(), "r1", "i1", new CircuitBreakerSettings());
        var entry = Assert.Single(metrics.Routes).Instances["i1"].Circuit!;
        Assert.Equal(registeredAt.ToUnixTimeMilliseconds(), entry.ChangedAtUnixMs);
        Assert.Equal(CircuitState.Closed, entry.ReportedState);

        _time.Advance(TimeSpan.FromSeconds(3));
        metrics.CircuitTransition("cb/i1", CircuitState.Open);

        Assert.Equal(CircuitState.Open, entry.ReportedState);
        Assert.Equal(registeredAt.AddSeconds(3).ToUnixTimeMilliseconds(), entry.ChangedAtUnixMs);
        Assert.Equal("r1", entry.RouteId);
    }

    [Fact]
    public void Prune_IdleInstancesAndDeletedRoutes_Forgotten()
    {
        var metrics = new DashboardMetrics(Options.Create(new DashboardOptions { RollingStatsTimeInMilliseconds = 1000, RollingStatsNumBuckets = 10 }), _time);
        metrics.RequestStarted("kept");
        metrics.RequestFinished("kept", "i1", 200, TimeSpan.FromMilliseconds(1));
        metrics.RequestStarted("deleted");
        metrics.RequestFinished("deleted", null, 200, TimeSpan.FromMilliseconds(1));

        metrics.Prune(_ => false);
        Assert.Equal(2, metrics.Routes.Count);

        _time.Advance(TimeSpan.FromSeconds(2));
        metrics.Prune(id => id == "kept");
        var kept = Assert.Single(metrics.Routes);
        Assert.Equal("kept", kept.RouteId);
        Assert.Empty(kept.Instances);
    }

    [Fact]
    public void RequestStartedAndFinished_WarmEntries_AllocateNothing()
    {
        var metrics = new DashboardMetrics(Options.Create(new DashboardOptions()), TimeProvider.System);
        var elapsed = TimeSpan.FromMilliseconds(3);
        // The route and instance entries are created once; after that the request path must not allocate.
        for (var i = 0; i < 50_000; i++)
        {
            metrics.RequestStarted("route-a");
            metrics.RequestFinished("route-a", i % 2 == 0 ? "i1" : "i2", i % 7 == 0 ? 503 : 200, elapsed);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++)
        {
            metrics.RequestStarted("route-a");
            metrics.RequestFinished("route-a", i % 2 == 0 ? "i1" : "i2", i % 7 == 0 ? 503 : 200, elapsed);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(10_000, 3)]
    [InlineData(100, 20)]
    public void Options_InvalidWindow_Rejected(int window, int buckets)
    {
        var o = new DashboardOptions { RollingStatsTimeInMilliseconds = window, RollingStatsNumBuckets = buckets };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(o, new(o), results, validateAllProperties: true));
        Assert.NotEmpty(results);
    }
}
