using System.Globalization;
using System.Text.Json;
using Infrastructure.Hosting.Processes;
using Infrastructure.Mesh.EndToEnd.Tests.Topology;
using Infrastructure.Testing;

namespace Infrastructure.Mesh.EndToEnd.Tests.Samples;

/// <summary>The Bookinfo samples alone, without a mesh: each starts on the port it is given and answers <c>/health</c>.</summary>
public sealed class SampleAppsTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public static TheoryData<string> Apps() => ["productpage", "reviews-v1", "reviews-v2", "ratings"];

    [Theory]
    [MemberData(nameof(Apps))]
    public async Task Sample_StartedAlone_AnswersHealth(string app)
    {
        var port = FreePort.Next();
        await using var process = Start(app, port);
        await process.WaitForUrlAsync(new Uri($"http://127.0.0.1:{port}/health"), Bounds.ProcessStart);

        using var doc = JsonDocument.Parse(await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/health")));
        Assert.Equal("UP", doc.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Reviews_V2_SaysSo_AndShowsRatingsUnavailable_WithoutASidecar()
    {
        var port = FreePort.Next();
        await using var process = Start("reviews-v2", port, outbound: FreePort.Next());
        await process.WaitForUrlAsync(new Uri($"http://127.0.0.1:{port}/health"), Bounds.ProcessStart);

        using var doc = JsonDocument.Parse(await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/reviews/0")));
        Assert.Equal("v2", doc.RootElement.GetProperty("version").GetString());
        Assert.Equal("Ratings service is currently unavailable", doc.RootElement.GetProperty("reviews")[0].GetProperty("rating").GetProperty("error").GetString());
    }

    [Fact]
    public async Task ProductPage_ReviewsUnreachable_StillAnswers200_WithTheError()
    {
        var port = FreePort.Next();
        await using var process = Start("productpage", port, outbound: FreePort.Next());
        await process.WaitForUrlAsync(new Uri($"http://127.0.0.1:{port}/health"), Bounds.ProcessStart);

        using var page = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}/productpage"));
        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Error fetching product reviews", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ratings_Get_Delete_AndChaos_OnItsOwnPort()
    {
        var port = FreePort.Next();
        await using var process = Start("ratings", port);
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        await process.WaitForUrlAsync(new Uri(baseUri, "health"), Bounds.ProcessStart);

        using var get = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "ratings/0"));
        get.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        using var rating = JsonDocument.Parse(await (await Http.SendAsync(get)).Content.ReadAsStringAsync());
        Assert.Equal(5, rating.RootElement.GetProperty("ratings").GetProperty("Reviewer1").GetInt32());
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", rating.RootElement.GetProperty("headers").GetProperty("traceparent").GetString());

        using var deleted = await Http.DeleteAsync(new Uri(baseUri, "ratings/0"));
        Assert.Equal(System.Net.HttpStatusCode.OK, deleted.StatusCode);

        using var chaos = await Http.PostAsync(new Uri(baseUri, "chaos"), new StringContent("""{"errorRatio":1.0}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, chaos.StatusCode);
        using var failing = await Http.GetAsync(new Uri(baseUri, "ratings/0"));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, failing.StatusCode);
        using var health = await Http.GetAsync(new Uri(baseUri, "health"));
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
    }

    private static ChildProcess Start(string app, int port, int? outbound = null)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        string[] command = app switch
        {
            "productpage" => BookinfoFixture.ProductPageCommand(),
            "reviews-v1" => BookinfoFixture.ReviewsCommand(port, "v1"),
            "reviews-v2" => BookinfoFixture.ReviewsCommand(port, "v2"),
            _ => BookinfoFixture.RatingsCommand(),
        };
        var spec = new ProcessSpec(command[0], command[1..]) { WorkingDirectory = RepoPaths.Root };
        spec.Environment["PORT"] = p;
        spec.Environment["MESH_OUTBOUND_PORT"] = outbound?.ToString(CultureInfo.InvariantCulture);
        return ChildProcess.Start(spec);
    }
}
