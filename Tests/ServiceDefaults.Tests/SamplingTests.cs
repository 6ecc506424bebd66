using Microsoft.AspNetCore.Builder;

namespace Infrastructure.ServiceDefaults.Tests;

[Collection(ProcessWideCollection.Name)]
public sealed class SamplingTests
{
    [Theory]
    [InlineData("0", "00")]
    [InlineData("1", "01")]
    public async Task SamplingProbability_RootRequest_DecidesSampledFlagDownstream(string probability, string flags)
    {
        var recorder = new LoopbackApps.HeaderRecorder();
        await using var downstream = await LoopbackApps.StartBareAsync(recorder.Map);
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?>
            {
                ["OTEL_SERVICE_NAME"] = "sampling-" + probability,
                ["Tracing:SamplingProbability"] = probability,
            },
            app => app.MapGet("/call", async (IHttpClientFactory f) => await f.CreateClient().GetStringAsync(new Uri(downstream.BaseUri(), "sink"))));

        using var client = LoopbackApps.UninstrumentedClient();
        (await client.GetAsync(new Uri(service.BaseUri(), "call"))).EnsureSuccessStatusCode();

        var sent = Assert.Single(recorder.Requests);
        Assert.EndsWith("-" + flags, sent["traceparent"].ToString(), StringComparison.Ordinal);
        // B3 carries the decision too, "0" included (left out, it would read as "decide yourself" downstream).
        Assert.Equal(flags == "01" ? "1" : "0", sent["X-B3-Sampled"].ToString());
    }

    [Fact]
    public async Task SamplingProbability_Unset_SamplesAboutOneRootTraceInTen()
    {
        var recorder = new LoopbackApps.HeaderRecorder();
        await using var downstream = await LoopbackApps.StartBareAsync(recorder.Map);
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?>
            {
                ["OTEL_SERVICE_NAME"] = "sampling-default",
                // Unset here even though the test assembly sets it for every server (TestDefaults): the default applies.
                ["Tracing:SamplingProbability"] = null,
            },
            app => app.MapGet("/call", async (IHttpClientFactory f) => await f.CreateClient().GetStringAsync(new Uri(downstream.BaseUri(), "sink"))));

        using var client = LoopbackApps.UninstrumentedClient();
        const int requests = 300;
        for (var i = 0; i < requests; i++)
        {
            (await client.GetAsync(new Uri(service.BaseUri(), "call"))).EnsureSuccessStatusCode();
        }

        Assert.Equal(requests, recorder.Requests.Count);
        // Unsampled requests still propagate their context (flags 00): only the decision differs.
        Assert.All(recorder.Requests, r => Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", r["traceparent"].ToString()));
        var sampled = recorder.Requests.Count(r => r["traceparent"].ToString().EndsWith("-01", StringComparison.Ordinal));
        // Binomial(300, 0.1): mean 30, sd 5.2; these bounds are more than 4 sd away, and far from both 0 % and 100 %.
        Assert.InRange(sampled, 8, 60);
    }
}
