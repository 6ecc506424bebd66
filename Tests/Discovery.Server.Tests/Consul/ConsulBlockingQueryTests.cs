using System.Globalization;
using System.Net;
using static Infrastructure.Discovery.Server.Tests.Consul.ConsulCalls;

namespace Infrastructure.Discovery.Server.Tests.Consul;

/// <summary>Consul's blocking queries over the registry's change counter: <c>?index=N&amp;wait=</c>, <c>X-Consul-Index</c>.</summary>
public sealed class ConsulBlockingQueryTests : InProcessRegistryTest
{
    [Fact]
    public async Task EveryAnswer_CarriesIndexAndLeaderHeaders_NeverZero()
    {
        foreach (var path in (string[])["/v1/catalog/services", "/v1/catalog/service/none", "/v1/health/service/none", "/v1/health/checks/none"])
        {
            using var response = await Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(Index(response) > 0, path);
            Assert.Equal("true", response.Headers.GetValues("X-Consul-KnownLeader").Single());
            Assert.Equal("0", response.Headers.GetValues("X-Consul-LastContact").Single());
        }
    }

    [Fact]
    public async Task BlockingQuery_ReturnsWhenTheServiceChanges_WithAHigherIndex()
    {
        await RegisterAsync(Http, """{"ID":"b-1","Name":"blocked","Check":{"TTL":"30s"}}""");
        using var first = await Http.GetAsync("/v1/health/service/blocked?passing");
        var index = Index(first);

        var blocked = Http.GetAsync($"/v1/health/service/blocked?passing&index={index}&wait=5m");
        await Task.Delay(300);
        Assert.False(blocked.IsCompleted, "returned before any change");

        await PutAsync(Http, "/v1/agent/check/pass/service:b-1");
        using var changed = await blocked.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(Index(changed) > index);
        Assert.Contains("\"b-1\"", await changed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BlockingQuery_OnOneService_NotWokenByAnother()
    {
        await RegisterAsync(Http, """{"ID":"q-1","Name":"quiet"}""");
        using var first = await Http.GetAsync("/v1/health/service/quiet");
        var index = Index(first);

        var blocked = Http.GetAsync($"/v1/health/service/quiet?index={index}&wait=5m");
        await RegisterAsync(Http, """{"ID":"n-1","Name":"noisy"}""");
        await TestInstances.RegisterAsync(Http, "noisy2", "x:noisy2:1");
        await Task.Delay(300);
        Assert.False(blocked.IsCompleted, "a change to another service woke the query");

        await PutAsync(Http, "/v1/agent/service/deregister/q-1");
        using var changed = await blocked.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("[]", await changed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task BlockingQuery_WithoutChange_ReturnsWhenTheWaitEnds_WithTheSameIndex()
    {
        using var first = await Http.GetAsync("/v1/catalog/services");
        var index = Index(first);

        var blocked = Http.GetAsync($"/v1/catalog/services?index={index}&wait=30s");
        await Task.Delay(300);
        Factory.Time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(300);
        Assert.False(blocked.IsCompleted, "returned before its wait");

        // Consul adds up to wait/16 of jitter.
        Factory.Time.Advance(TimeSpan.FromSeconds(3));
        using var timedOut = await blocked.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, timedOut.StatusCode);
        Assert.Equal(index, Index(timedOut));
    }

    [Fact]
    public async Task BlockingQuery_WaitCappedAtTenMinutes()
    {
        using var first = await Http.GetAsync("/v1/catalog/services");
        var blocked = Http.GetAsync($"/v1/catalog/services?index={Index(first)}&wait=2h");
        await Task.Delay(300);
        Factory.Time.Advance(TimeSpan.FromMinutes(9));
        await Task.Delay(300);
        Assert.False(blocked.IsCompleted, "returned before ten minutes");

        Factory.Time.Advance(TimeSpan.FromMinutes(2));
        using var timedOut = await blocked.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, timedOut.StatusCode);
    }

    [Fact]
    public async Task IndexOlderThanCurrent_AnswersAtOnce()
    {
        using var first = await Http.GetAsync("/v1/catalog/services");
        using var response = await Http.GetAsync($"/v1/catalog/services?index={Index(first) - 1}&wait=10m").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static long Index(HttpResponseMessage response) =>
        long.Parse(response.Headers.GetValues("X-Consul-Index").Single(), CultureInfo.InvariantCulture);
}
