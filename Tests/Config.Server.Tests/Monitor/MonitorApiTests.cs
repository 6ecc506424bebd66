using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Infrastructure.Config.Server.Tests.Monitor;

public sealed class MonitorApiTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly TempDir _dir = new();
    private readonly ConfigServerFactory _factory;
    private readonly HttpClient _http;

    public MonitorApiTests()
    {
        _dir.Write("application.yml", "a: 1\n");
        _dir.Write("catalog.yml", "b: 1\n");
        _factory = ConfigServerFactory.Native(_dir.Path);
        _http = _factory.CreateClient();
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
        _dir.Dispose();
    }

    private static string[] Destinations(JsonElement data) =>
        data.GetProperty("destinations").EnumerateArray().Select(d => d.GetString()!).ToArray();

    [Fact]
    public async Task PostMonitor_GithubPush_ReturnsServiceNamesAndStreamsEvent()
    {
        await using var sse = await SseReader.OpenAsync(_http);
        var push = """{"ref":"refs/heads/main","commits":[{"id":"abc","added":[],"modified":["catalog-development.yml"],"removed":[]}]}""";
        using var req = new HttpRequestMessage(HttpMethod.Post, "/monitor") { Content = new StringContent(push, Encoding.UTF8, "application/json") };
        req.Headers.Add("X-Github-Event", "push");
        using var resp = await _http.SendAsync(req);
        Assert.Equal(["catalog:development", "catalog-development"], (await resp.Content.ReadFromJsonAsync<string[]>())!);

        var (id, data) = await sse.NextEventAsync(Wait);
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal("RefreshRemoteApplicationEvent", data.GetProperty("type").GetString());
        Assert.Equal(["catalog:development", "catalog-development"], Destinations(data));
        Assert.Equal("catalog-development.yml", data.GetProperty("paths")[0].GetString());
    }

    [Fact]
    public async Task PostMonitor_FormPathApplicationYml_NamesAllApplications()
    {
        using var resp = await _http.PostAsync("/monitor", new FormUrlEncodedContent([new("path", "application.yml")]));
        Assert.Equal(["*"], (await resp.Content.ReadFromJsonAsync<string[]>())!);
    }

    [Fact]
    public async Task PostMonitor_NotJson_400()
    {
        using var resp = await _http.PostAsync("/monitor", new StringContent("{nope", Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, resp.StatusCode);
    }

    [Fact]
    public async Task Events_FilteredByApplication_OnlyMatchingDelivered()
    {
        await using var sse = await SseReader.OpenAsync(_http, "/monitor/events?application=order&profile=dev");
        (await _http.PostAsync("/monitor", new FormUrlEncodedContent([new("path", "catalog.yml")]))).Dispose();
        (await _http.PostAsync("/monitor", new FormUrlEncodedContent([new("path", "order-dev.yml")]))).Dispose();
        var (_, data) = await sse.NextEventAsync(Wait);
        Assert.Equal(["order:dev", "order-dev"], Destinations(data));
    }

    [Fact]
    public async Task Events_ReconnectWithLastEventId_ReplaysMissedEvents()
    {
        string firstId;
        await using (var sse = await SseReader.OpenAsync(_http))
        {
            (await _http.PostAsync("/monitor", new FormUrlEncodedContent([new("path", "a.yml")]))).Dispose();
            firstId = (await sse.NextEventAsync(Wait)).Id;
        }
        (await _http.PostAsync("/monitor", new FormUrlEncodedContent([new("path", "missed.yml")]))).Dispose();
        await using var again = await SseReader.OpenAsync(_http, lastEventId: firstId);
        var (_, data) = await again.NextEventAsync(Wait);
        Assert.Equal(["missed"], Destinations(data));
    }

    [Fact]
    public async Task FileChange_InNativeLocation_PublishesEventNamingApplication()
    {
        await using var sse = await SseReader.OpenAsync(_http);
        _dir.Write("catalog.yml", "b: 2\n");
        var (_, data) = await sse.NextEventAsync(Wait);
        Assert.Contains("catalog", Destinations(data));
        Assert.Equal("file change", data.GetProperty("reason").GetString());
    }
}
