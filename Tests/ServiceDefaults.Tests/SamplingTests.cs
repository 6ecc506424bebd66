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
}
