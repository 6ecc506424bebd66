using System.Net;

namespace Infrastructure.Config.Server.Tests.Api;

/// <summary>
/// Symbolic links in a native repository: one to a file outside it, one to a folder outside it (met both as a
/// plain-text path and as an <c>{application}</c> folder). Their targets are never served, by any endpoint; links that
/// stay inside, and a search location that is itself reached through a link, still work.
/// </summary>
public sealed class SymlinkTests : IDisposable
{
    private const string Secret = "TOPSECRET";
    private readonly TempDir _outside = new();
    private readonly TempDir _root = new();
    private readonly ConfigServerFactory _server;
    private readonly HttpClient _http;

    public SymlinkTests()
    {
        _outside.Write("secret.yml", $"leaked: {Secret}\n");
        _outside.Write("secret.txt", Secret + "\n");
        _outside.Write("application.yml", $"leaked: {Secret}\n");

        var repo = Path.Combine(_root.Path, "repo");
        _root.Write("repo/application.yml", "shared: yes\n");
        _root.Write("repo/real/inside.yml", "inside: 1\n");
        _root.Write("repo/docs/inside.txt", "inside text\n");
        // A symlinked file and a symlinked folder, both leading out of the repository.
        File.CreateSymbolicLink(Path.Combine(repo, "svc.yml"), Path.Combine(_outside.Path, "secret.yml"));
        File.CreateSymbolicLink(Path.Combine(repo, "note.txt"), Path.Combine(_outside.Path, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(repo, "linked"), _outside.Path);
        // A relative link that climbs out, and one that stays inside.
        File.CreateSymbolicLink(Path.Combine(repo, "relative.yml"), Path.Combine("..", "..", Path.GetFileName(_outside.Path), "secret.yml"));
        File.CreateSymbolicLink(Path.Combine(repo, "alias.yml"), Path.Combine("real", "inside.yml"));
        File.CreateSymbolicLink(Path.Combine(repo, "alias.txt"), Path.Combine(repo, "docs", "inside.txt"));
        // The search location itself reached through a link: its real folder is what counts as inside.
        Directory.CreateSymbolicLink(Path.Combine(_root.Path, "repo-link"), repo);

        _server = ConfigServerFactory.Native($"{_root.Path}/repo-link,{_root.Path}/repo-link/{{application}}");
        _http = _server.CreateClient();
    }

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
        _root.Dispose();
        _outside.Dispose();
    }

    [Theory]
    [InlineData("/svc/default")]                         // svc.yml → a file outside
    [InlineData("/svc/default/master")]
    [InlineData("/svc-default.yml")]
    [InlineData("/svc-default.properties")]
    [InlineData("/svc-default.json")]
    [InlineData("/master/svc-default.yml")]
    [InlineData("/relative/default")]                    // relative.yml → ../../outside/secret.yml
    [InlineData("/relative-default.properties")]
    [InlineData("/linked/default")]                      // {application} = linked → a folder outside (its application.yml)
    [InlineData("/linked-default.yml")]
    public async Task Environment_LinkLeadingOutside_NotServed(string path)
    {
        using var r = await _http.GetAsync(path);
        var body = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
        // The repository's own files are still there: only the links were refused.
        Assert.Contains("shared", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/svc/default/master/note.txt")]         // a file link
    [InlineData("/svc/default/master/linked/secret.txt")] // through a folder link
    [InlineData("/linked/default/master/secret.txt")]     // through {application} = linked
    public async Task PlainText_LinkLeadingOutside_NotFound(string path)
    {
        using var r = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.DoesNotContain(Secret, await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinksInsideTheRepository_StillServed()
    {
        Assert.Contains("\"inside\":1", await _http.GetStringAsync("/alias/default"), StringComparison.Ordinal);
        Assert.Equal("inside text\n", await _http.GetStringAsync("/svc/default/master/alias.txt"));
        Assert.Equal("inside text\n", await _http.GetStringAsync("/svc/default/master/docs/inside.txt"));
    }
}

/// <summary><see cref="Native.RealPath"/> on its own: where the text of a path and its real place part ways.</summary>
public sealed class RealPathTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DotDotAfterAFolderLink_AppliesToTheLinkTarget()
    {
        _dir.Write("elsewhere/deep/x.txt", "x");
        _dir.Write("elsewhere/secret.txt", "s");
        Directory.CreateDirectory(Path.Combine(_dir.Path, "repo"));
        Directory.CreateSymbolicLink(Path.Combine(_dir.Path, "repo", "l"), Path.Combine(_dir.Path, "elsewhere", "deep"));

        // Textually repo/secret.txt (which does not exist); really elsewhere/secret.txt.
        var real = Native.RealPath.Resolve(Path.Combine(_dir.Path, "repo", "l", "..", "secret.txt"));
        Assert.Equal(Path.Combine(Native.RealPath.Resolve(_dir.Path)!, "elsewhere", "secret.txt"), real);
        Assert.False(Native.RealPath.IsUnder(real!, Native.RealPath.Resolve(Path.Combine(_dir.Path, "repo"))!));
    }

    [Fact]
    public void LinkLoopOrBrokenLink_Null()
    {
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "a"), Path.Combine(_dir.Path, "b"));
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "b"), Path.Combine(_dir.Path, "a"));
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "broken"), Path.Combine(_dir.Path, "missing"));
        Assert.Null(Native.RealPath.Resolve(Path.Combine(_dir.Path, "a")));
        Assert.Null(Native.RealPath.Resolve(Path.Combine(_dir.Path, "broken")));
    }

    [Fact]
    public void IsUnder_NeedsASeparator_NotJustAPrefix()
    {
        Assert.True(Native.RealPath.IsUnder("/srv/repo/a.yml", "/srv/repo"));
        Assert.True(Native.RealPath.IsUnder("/srv/repo/a.yml", "/srv/repo/"));
        Assert.True(Native.RealPath.IsUnder("/srv/repo", "/srv/repo"));
        Assert.False(Native.RealPath.IsUnder("/srv/repo-other/a.yml", "/srv/repo"));
    }
}
