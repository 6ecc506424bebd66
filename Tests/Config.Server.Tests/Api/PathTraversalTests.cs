using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace Infrastructure.Config.Server.Tests.Api;

/// <summary>
/// One native server (a plain location and a <c>{label}</c> location) and one git server, each next to files they must never serve.
/// </summary>
public sealed class TraversalServers : IDisposable
{
    public const string Secret = "TOPSECRET";
    private readonly TempDir _root = new();
    private readonly ConfigServerFactory _native;
    private readonly ConfigServerFactory _git;

    public TraversalServers()
    {
        _root.Write("secret.yml", $"leaked: {Secret}\n");
        _root.Write("secret.txt", Secret + "\n");
        _root.Write("secret-default.yml", $"leaked: {Secret}\n");
        _root.Write("repo/app.yml", "a: 1\n");
        _root.Write("repo/notes.txt", "hello\n");
        _root.Write("labels/master/app.yml", "b: 2\n");
        _native = ConfigServerFactory.Native($"{_root.Path}/repo,{_root.Path}/labels/{{label}}");
        Native = _native.CreateClient();
        NativeServer = _native.Server;

        foreach (var args in new[] { ["init", "-q", "-b", "master"], ["add", "-A"], new[] { "commit", "-q", "-m", "repo" } })
        {
            RunGit(Path.Combine(_root.Path, "repo"), args);
        }
        _git = new ConfigServerFactory(new Dictionary<string, string?>
        {
            ["ConfigServer:Git:Uri"] = Path.Combine(_root.Path, "repo"),
            ["ConfigServer:Git:Basedir"] = Path.Combine(_root.Path, "clone"),
            ["ConfigServer:Git:DefaultLabel"] = "master",
            ["ConfigServer:Git:SearchPaths"] = "{application}",
        });
        Git = _git.CreateClient();
        GitServer = _git.Server;
    }

    public HttpClient Native { get; }

    public TestServer NativeServer { get; }

    public HttpClient Git { get; }

    public TestServer GitServer { get; }

    private static void RunGit(string dir, string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false" }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"git {string.Join(' ', args)}: {error}");
    }

    public void Dispose()
    {
        Native.Dispose();
        Git.Dispose();
        _native.Dispose();
        _git.Dispose();
        _root.Dispose();
    }
}

public sealed class PathTraversalTests(TraversalServers servers) : IClassFixture<TraversalServers>
{
    public static TheoryData<string, string> Shapes()
    {
        var data = new TheoryData<string, string>();
        foreach (var backend in new[] { "native", "git" })
        {
            foreach (var url in new[]
            {
                // {application}
                "/..%2Fsecret/default", "/%2e%2e/default", "/%2e%2e%2fsecret/default", "/..%5Csecret/default", "/..%252Fsecret/default",
                "/app%00/default", "/%2Fetc%2Fpasswd/default", "/C:%5Csecret/default",
                // {profile}
                "/app/..%2Fsecret", "/app/default,..%2F..%2Fsecret", "/app/%2e%2e", "/app/dev%00", "/app/..%5C..%5Csecret",
                // {label}
                "/app/default/..%2F..%2Fsecret", "/app/default/(_)etc(_)passwd", "/app/default/..%5C..%5Csecret", "/app/default/%2e%2e",
                "/app/default/master%00", "/app/default/C:%5Csecret", "/app/default/..%252F..%252Fsecret", "/app/default/master(_)..(_)..",
                // documents
                "/..%2Fsecret-default.yml", "/..%2F..%2Fsecret/app-default.yml", "/%2e%2e/app-default.properties", "/app%00-default.json",
                // {path} of plain text, and the label before it
                "/app/default/master/..%2Fsecret.txt", "/app/default/master/%2e%2e/secret.txt", "/app/default/master/..%5Csecret.txt",
                "/app/default/master/%2Fetc%2Fpasswd", "/app/default/master//etc/passwd", "/app/default/master/notes.txt%00.yml",
                "/app/default/master/..%252Fsecret.txt", "/app/default/master/C:%5Csecret.txt", "/app/default/master/sub/%2e%2e/%2e%2e/secret.txt",
                "/app/default/..%2F/notes.txt", "/app/default/%2e%2e/notes.txt",
            })
            {
                data.Add(backend, url);
            }
        }
        return data;
    }

    /// <summary>
    /// Sends the path as the server would see it after Kestrel's decoding (everything but %2F decoded), minus Kestrel's removal
    /// of dot segments and refusal of NUL: an HttpClient would normalize <c>%2e%2e</c> away before sending, and these
    /// checks must hold even for what reaches the app by another route.
    /// </summary>
    private static async Task<(int Status, string Body)> GetRawAsync(TestServer server, string rawPath)
    {
        var decoded = Uri.UnescapeDataString(rawPath.Replace("%2F", "%252F", StringComparison.Ordinal).Replace("%2f", "%252f", StringComparison.Ordinal));
        var ctx = await server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = new PathString(decoded);
        });
        using var reader = new StreamReader(ctx.Response.Body);
        return (ctx.Response.StatusCode, await reader.ReadToEndAsync());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Get_TraversalShape_400InSpringShapeNothingOutsideServed(string backend, string url)
    {
        var (status, body) = await GetRawAsync(backend == "native" ? servers.NativeServer : servers.GitServer, url);
        Assert.DoesNotContain(TraversalServers.Secret, body, StringComparison.Ordinal);
        Assert.True(status == 400, $"{backend} {url}: {status} {body}");
        var error = JsonDocument.Parse(body).RootElement;
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Equal("Bad Request", error.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.DoesNotContain(error.GetProperty("message").GetString()!, char.IsControl);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("git")]
    public async Task Get_OrdinaryNames_StillServed(string backend)
    {
        var http = backend == "native" ? servers.Native : servers.Git;
        Assert.Contains("\"a\":1", await http.GetStringAsync("/app/default/master"), StringComparison.Ordinal);
        Assert.Equal("hello\n", await http.GetStringAsync("/app/default/master/notes.txt"));
        Assert.Contains("a: 1", await http.GetStringAsync("/master/app-default.yml"), StringComparison.Ordinal);
        Assert.Contains("\"a\":1", await http.GetStringAsync("/app/dev%2Ccloud/master"), StringComparison.Ordinal);
    }
}
