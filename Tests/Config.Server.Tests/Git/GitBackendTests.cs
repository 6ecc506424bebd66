using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Infrastructure.Config.Server.Tests.Monitor;

namespace Infrastructure.Config.Server.Tests.Git;

public sealed class GitBackendTests : IDisposable
{
    private readonly TempDir _origin = new();
    private readonly TempDir _clones = new();

    public GitBackendTests()
    {
        Git("init", "-q", "-b", "main");
        Commit(("application.yml", "shared: app\n"), ("catalog.yml", "page-size: 20\n"), ("services/order/order.yml", "max: 7\n"));
        Git("tag", "v1");
        Git("checkout", "-q", "-b", "feature");
        Commit(("catalog.yml", "page-size: 99\n"));
        Git("checkout", "-q", "main");
    }

    public void Dispose()
    {
        _origin.Dispose();
        _clones.Dispose();
    }

    private string Git(params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = _origin.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false" }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"git {string.Join(' ', args)}: {error}");
        return output.Trim();
    }

    private string Commit(params (string Path, string Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            _origin.Write(path, content);
        }
        Git("add", "-A");
        Git("commit", "-q", "-m", "change");
        return Git("rev-parse", "HEAD");
    }

    private ConfigServerFactory Server(string? searchPaths = null, int refreshRate = 0) => new(new Dictionary<string, string?>
    {
        ["ConfigServer:Git:Uri"] = _origin.Path,
        ["ConfigServer:Git:Basedir"] = Path.Combine(_clones.Path, Guid.NewGuid().ToString("N")),
        ["ConfigServer:Git:SearchPaths"] = searchPaths,
        ["ConfigServer:Git:RefreshRate"] = refreshRate.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    [Fact]
    public async Task RefreshRate_NewCommitWithoutAnyRequest_BackgroundFetchPublishesEvent()
    {
        using var f = Server(refreshRate: 1);
        using var http = f.CreateClient();
        await http.GetStringAsync("/catalog/default"); // the clone exists before the commit
        await using var sse = await SseReader.OpenAsync(http);
        Commit(("application.yml", "shared: changed\n"));
        var (_, data) = await sse.NextEventAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("*", data.GetProperty("destinations")[0].GetString());
    }

    [Fact]
    public async Task Get_BillionLaughsCommitted_500ForThatAppOthersServe()
    {
        Commit(("bomb.yml", Environment.YamlBombs.BillionLaughs()));
        using var f = Server();
        using var http = f.CreateClient();
        // A guard against hanging, not a speed check: unbounded, this request never completes.
        http.Timeout = TimeSpan.FromSeconds(10);
        using var bomb = await http.GetAsync("/bomb/default");
        Assert.Equal(HttpStatusCode.InternalServerError, bomb.StatusCode);
        Assert.Contains("bomb.yml", await bomb.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var catalog = await GetJsonAsync(http, "/catalog/default");
        Assert.Equal(20, catalog.GetProperty("propertySources")[0].GetProperty("source").GetProperty("page-size").GetInt32());
    }

    [Fact]
    public async Task GetPlainText_FromCommitTree_ServesFile()
    {
        Commit(("nginx.conf", "listen ${port:80};\n"));
        using var f = Server();
        using var http = f.CreateClient();
        Assert.Equal("listen 80;\n", await http.GetStringAsync("/catalog/default/main/nginx.conf"));
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path)
    {
        using var r = await http.GetAsync(path);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{path}: {r.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string Value(JsonElement env, string key) =>
        env.GetProperty("propertySources").EnumerateArray().Select(s => s.GetProperty("source")).First(s => s.TryGetProperty(key, out _)).GetProperty(key).ToString();

    [Fact]
    public async Task Get_DefaultLabel_ServesMainWithCommitIdAsVersion()
    {
        using var f = Server();
        using var http = f.CreateClient();
        var env = await GetJsonAsync(http, "/catalog/default");
        Assert.Equal("main", env.GetProperty("label").GetString());
        Assert.Equal(Git("rev-parse", "main"), env.GetProperty("version").GetString());
        Assert.Equal("20", Value(env, "page-size"));
        Assert.Equal(_origin.Path + "/catalog.yml", env.GetProperty("propertySources")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Get_LabelBranchTagOrCommit_ServesThatRevision()
    {
        using var f = Server();
        using var http = f.CreateClient();
        Assert.Equal("99", Value(await GetJsonAsync(http, "/catalog/default/feature"), "page-size"));
        var tagged = await GetJsonAsync(http, "/catalog/default/v1");
        Assert.Equal("20", Value(tagged, "page-size"));
        Assert.Equal("v1", tagged.GetProperty("label").GetString());
        var sha = Git("rev-parse", "feature");
        var byCommit = await GetJsonAsync(http, "/catalog/default/" + sha[..10]);
        Assert.Equal("99", Value(byCommit, "page-size"));
        Assert.Equal(sha, byCommit.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Get_UnknownLabel_404NoSuchLabel()
    {
        using var f = Server();
        using var http = f.CreateClient();
        using var r = await http.GetAsync("/catalog/default/nope");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("No such label: nope", body.GetProperty("message").GetString());
        Assert.Equal(404, body.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Get_SearchPathsWithApplicationPlaceholder_FindsNestedFiles()
    {
        using var f = Server("services/{application}");
        using var http = f.CreateClient();
        Assert.Equal("7", Value(await GetJsonAsync(http, "/order/default"), "max"));
    }

    [Fact]
    public async Task RefreshRateNegative_BehavesAsSpringsZero_FetchesOnEveryRequest_AndWarns()
    {
        using var f = Server(refreshRate: -5);
        using var http = f.CreateClient();
        await GetJsonAsync(http, "/catalog/default");
        var sha = Commit(("catalog.yml", "page-size: 43\n"));

        var after = await GetJsonAsync(http, "/catalog/default");

        Assert.Equal(sha, after.GetProperty("version").GetString());
        Assert.Equal("43", Value(after, "page-size"));
        var health = await GetJsonAsync(http, "/actuator/health");
        var warning = Assert.Single(health.GetProperty("components").GetProperty("settings").GetProperty("details").GetProperty("warnings").EnumerateArray());
        Assert.StartsWith("ConfigServer:Git:RefreshRate=-5: read as 0", warning.GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_AfterNewCommit_FetchesNewVersionAndPublishesRefreshEvent()
    {
        using var f = Server();
        using var http = f.CreateClient();
        var before = await GetJsonAsync(http, "/catalog/default");
        await using var sse = await SseReader.OpenAsync(http);
        var sha = Commit(("catalog.yml", "page-size: 42\n"));
        var after = await GetJsonAsync(http, "/catalog/default");
        Assert.NotEqual(before.GetProperty("version").GetString(), after.GetProperty("version").GetString());
        Assert.Equal(sha, after.GetProperty("version").GetString());
        Assert.Equal("42", Value(after, "page-size"));
        var (_, data) = await sse.NextEventAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("catalog", data.GetProperty("destinations")[0].GetString());
        Assert.Equal("git refresh", data.GetProperty("reason").GetString());
    }
}
