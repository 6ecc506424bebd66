using System.Net;
using Infrastructure.Config.Client.Fetching;
using Microsoft.Extensions.Logging.Abstractions;

namespace Infrastructure.Config.Client.Tests.Fetching;

public sealed class ConfigServerFetcherTests
{
    private const string Environment = """{"name":"catalog","propertySources":[{"name":"catalog.yml","source":{"catalog.page-size":5}}]}""";

    private static ConfigServerClientSettings Settings(params string[] uris) => new()
    {
        Name = "catalog",
        Profile = "development",
        Uris = [.. uris.Select(u => new Uri(u))],
    };

    [Fact]
    public async Task FetchOnce_FirstUriRefusesSecondFails_ThirdAnswersAndBecomesActive()
    {
        var handler = new StubHandler(new()
        {
            ["b"] = (HttpStatusCode.ServiceUnavailable, ""),
            ["c"] = (HttpStatusCode.OK, Environment),
        });
        using var fetcher = new ConfigServerFetcher(Settings("http://a:1/", "http://b:2/", "http://c:3/"), NullLogger.Instance, handler);

        var fetched = await fetcher.FetchOnceAsync(CancellationToken.None);

        Assert.Equal(new Uri("http://c:3/"), fetched.Server);
        Assert.Equal(new Uri("http://c:3/"), fetcher.ActiveUri);
        Assert.Equal(Environment, fetched.Json);
        Assert.Equal("5", fetched.Data["catalog:page-size"]);
        Assert.Equal(["a", "b", "c"], handler.Requests.Select(r => r.RequestUri!.Host));
        Assert.All(handler.Requests, r => Assert.Equal("/catalog/development", r.RequestUri!.AbsolutePath));
    }

    [Fact]
    public async Task FetchOnce_NoUriAnswers_ThrowsTheLastFailure()
    {
        var handler = new StubHandler(new() { ["b"] = (HttpStatusCode.NotFound, "") });
        using var fetcher = new ConfigServerFetcher(Settings("http://a:1/", "http://b:2/"), NullLogger.Instance, handler);

        var e = await Assert.ThrowsAsync<ConfigServerException>(() => fetcher.FetchOnceAsync(CancellationToken.None));

        Assert.Contains("404", e.Message, StringComparison.Ordinal);
        Assert.Null(fetcher.ActiveUri);
    }

    [Fact]
    public async Task FetchWithRetry_ServerAnswersOnSecondPass_Retries()
    {
        var handler = new FlakyHandler(failures: 1);
        var settings = Settings("http://a:1/");
        settings.RetryEnabled = true;
        settings.RetryMaxAttempts = 3;
        settings.RetryInitialIntervalMs = 1;
        using var fetcher = new ConfigServerFetcher(settings, NullLogger.Instance, handler);

        var fetched = await fetcher.FetchWithRetryAsync(CancellationToken.None);

        Assert.Equal("5", fetched.Data["catalog:pagesize"]);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public void EnvironmentPath_LabelWithSlash_SentAsSpringsEscapePercentEncoded() =>
        Assert.Equal("my%20app/dev%2Ccloud/release%28_%291", ConfigServerFetcher.EnvironmentPath(new ConfigServerClientSettings { Name = "my app", Profile = "dev,cloud", Label = "release/1" }));

    private sealed class FlakyHandler(int failures) : HttpMessageHandler
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            ++Calls <= failures
                ? throw new HttpRequestException("Connection refused")
                : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Environment) });
    }
}
