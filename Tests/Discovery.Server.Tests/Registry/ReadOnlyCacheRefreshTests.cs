using System.Net;
using System.Xml.Linq;
using Infrastructure.Discovery.Server.Tests.Api;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Registry;

/// <summary>The read-only response cache and its refresh loop, as clients see them through the real server.</summary>
public sealed class ReadOnlyCacheRefreshTests : IAsyncLifetime
{
    private const int RefreshMs = 30_000;
    private readonly EurekaServerFactory _factory = new()
    {
        Settings =
        {
            ["Eureka:Server:UseReadOnlyResponseCache"] = "true",
            ["Eureka:Server:ResponseCacheUpdateIntervalMs"] = RefreshMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
    };

    private HttpClient _http = null!;

    public Task InitializeAsync()
    {
        _http = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Refresh_AfterRegistrationWithControlCharacters_LaterRegistrationStillAppearsInJsonAndXml()
    {
        // Both formats are in the read-only cache, so from here on only the refresh loop can change what clients see.
        Assert.Empty(await JsonInstanceIdsAsync("LATER"));
        Assert.Empty(await XmlInstanceIdsAsync("LATER"));

        using (var evil = Content(HostileInputTests.ControlCharacterBody("evil", "evil1")))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await _http.PostAsync("/eureka/apps/EVIL", evil)).StatusCode);
        }
        await RefreshAsync(async () => (await JsonInstanceIdsAsync("EVIL")).Count == 1);
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(_http, "later", "later1")).StatusCode);

        await RefreshAsync(async () => (await JsonInstanceIdsAsync("LATER")).Count == 1 && (await XmlInstanceIdsAsync("LATER")).Count == 1);

        Assert.Equal(["evil1"], await XmlInstanceIdsAsync("EVIL"));
    }

    /// <summary>Moves the fake clock one refresh interval at a time until <paramref name="condition"/> holds (the loop re-arms its timer asynchronously).</summary>
    private async Task RefreshAsync(Func<Task<bool>> condition)
    {
        var seen = await EventuallyAsync(async () =>
        {
            _factory.Time.Advance(TimeSpan.FromMilliseconds(RefreshMs));
            return await condition();
        }, TimeSpan.FromSeconds(30));
        Assert.True(seen, "the read-only cache was not refreshed: the refresh loop has stopped");
    }

    private async Task<IReadOnlyList<string>> JsonInstanceIdsAsync(string app)
    {
        using var doc = await GetJsonAsync(_http, "/eureka/apps");
        return InstanceIds(doc, app);
    }

    private async Task<IReadOnlyList<string>> XmlInstanceIdsAsync(string app)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/eureka/apps");
        request.Headers.Accept.ParseAdd("application/xml");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = XDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.Root!.Elements("application").Where(a => (string?)a.Element("name") == app)
            .SelectMany(a => a.Elements("instance")).Select(i => (string)i.Element("instanceId")!).ToList();
    }
}
