using System.Text.RegularExpressions;

namespace Infrastructure.Config.Server.Tests.RecordedAnswers;

/// <summary>
/// Config environments in every shape (Spring's environment JSON, yml, properties, json, plain text) and Spring error
/// bodies, compared byte for byte with <c>RecordedAnswers/config/</c> and <c>RecordedAnswers/spring-errors/</c>
/// (re-record with <c>RECORD_ANSWERS=1</c>). The repository's temp folder and Spring's timestamp are normalised.
/// </summary>
public sealed class ConfigRecordedAnswersTests : IDisposable
{
    private const string Folder = "Tests/Config.Server.Tests/RecordedAnswers";

    private readonly TempDir _dir = new();

    public ConfigRecordedAnswersTests()
    {
        _dir.Write("application.yml", "shared: base\nregion: eu\ngreeting: hello ${region}\nlist:\n  - 1\n  - true\n  - 2.50\nempty:\nquoted: \"a: b # c\"\n");
        _dir.Write("application-dev.yml", "shared: app-dev\nregion: local\nunicode: héllo ✓\n");
        _dir.Write("shop.yml", "shared: shop\nshop:\n  items:\n    - a\n    - b\n  size: 3\n  nested:\n    deep:\n      key: value\n");
        _dir.Write("shop-dev.properties", "shared=shop-dev\nshop.size=5\nescaped=tab\\there\\u00e9\n");
        _dir.Write("shop-cloud.yml", "shared: shop-cloud\nshop:\n  size: 7\n");
        _dir.Write("multi.yml", "v: base\n---\nspring:\n  config:\n    activate:\n      on-profile: dev\nv: dev-doc\n");
        _dir.Write("shop.txt", "size=${shop.size}\n");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ConfigEnvironments_MatchRecorded()
    {
        await using var factory = ConfigServerFactory.Native(_dir.Path);
        using var http = factory.CreateClient();
        var answers = Answers("config");
        foreach (var (name, path) in ((string, string)[])[
            ("app-profile", "/shop/dev"),
            ("app-profiles", "/shop/dev,cloud"),
            ("app-profile-label", "/shop/dev/master"),
            ("app-profile-label-slash", "/shop/dev/release(_)1"),
            ("app-default", "/nobody/default"),
            ("multi-document", "/multi/dev"),
            ("unresolved", "/shop/dev?resolvePlaceholders=false"),
            ("yml", "/shop-dev.yml"),
            ("yaml-label", "/master/shop-dev.yaml"),
            ("properties", "/shop-dev.properties"),
            ("properties-unresolved", "/shop-dev.properties?resolvePlaceholders=false"),
            ("json", "/shop-dev.json"),
            ("json-profiles", "/shop-dev,cloud.json"),
            ("plain-text", "/shop/dev/master/shop.txt"),
        ])
        {
            using var r = await http.GetAsync(path);
            await answers.CheckAsync(name, r);
        }
        answers.AssertAllMatch();
    }

    [Fact]
    public async Task SpringErrors_MatchRecorded()
    {
        var answers = Answers("spring-errors");
        await using (var factory = ConfigServerFactory.Native(_dir.Path))
        {
            using var http = factory.CreateClient();
            foreach (var (name, path) in ((string, string)[])[
                ("traversal-profile", "/shop/.."),
                ("traversal-dots", "/shop/de..v"),
                ("traversal-file", "/shop/dev/..%2F..%2Fetc/x.txt"),
                ("missing-file", "/shop/dev/master/none.txt"),
                ("no-endpoint", "/a/b/c/d/e/f"),
            ])
            {
                using var r = await http.GetAsync(path);
                await answers.CheckAsync(name, r);
            }
            using var post = await http.PostAsync("/shop/dev", new StringContent("x"));
            await answers.CheckAsync("method-not-allowed", post);
        }
        await using (var secured = new ConfigServerFactory(new Dictionary<string, string?>
        {
            ["ConfigServer:Native:SearchLocations"] = _dir.Path,
            ["ConfigServer:Security:Enabled"] = "true",
            ["ConfigServer:Security:Users:0:Username"] = "reader",
            ["ConfigServer:Security:Users:0:Password"] = "r-pass",
        }))
        {
            using var http = secured.CreateClient();
            using var r = await http.GetAsync("/shop/dev");
            await answers.CheckAsync("no-credentials", r);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/shop/dev");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("reader:wrong"u8.ToArray()));
            using var wrong = await http.SendAsync(request);
            await answers.CheckAsync("wrong-password", wrong);
        }
        answers.AssertAllMatch();
    }

    private Infrastructure.Testing.RecordedAnswers Answers(string set) => new(
        $"{Folder}/{set}",
        (Regex.Escape(_dir.Path), "{repository}"),
        ("\"timestamp\":\"[0-9T:.+-]+\"", "\"timestamp\":\"{timestamp}\""));
}
