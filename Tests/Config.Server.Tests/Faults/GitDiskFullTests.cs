using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Infrastructure.Testing;
using Xunit.Abstractions;

namespace Infrastructure.Config.Server.Tests.Faults;

/// <summary>Config.Server's git backend with its clone on a small tmpfs the test fills: a fetch that runs out of space.</summary>
public sealed class GitDiskFullTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _origin = new();
    private readonly TempDir _clones = new();

    public void Dispose()
    {
        _origin.Dispose();
        _clones.Dispose();
    }

    /// <summary>
    /// The clone's disk is full when the origin gets a commit with a large file and a new value: requests (which fetch, at
    /// <c>RefreshRate</c> 0) keep answering 200 with the last good commit; once space is freed the next request serves the new one.
    /// </summary>
    [SkippableFact]
    public async Task FetchOnFullDisk_LastGoodCloneServed_NewCommitOnceFreed()
    {
        Git("init", "-q", "-b", "main");
        Commit(("catalog.yml", "page-size: 20\n"));
        OwnTmpfs disk;
        try
        {
            disk = await OwnTmpfs.MountAsync(Path.Combine(_clones.Path, "disk"), 16);
        }
        catch (TmpfsUnavailableException e)
        {
            throw new SkipException("no full disk without a tmpfs: " + e.Message);
        }
        await using var _ = disk;
        using var f = new ConfigServerFactory(new Dictionary<string, string?>
        {
            ["ConfigServer:Git:Uri"] = _origin.Path,
            ["ConfigServer:Git:Basedir"] = Path.Combine(disk.Path, "clone"),
            ["ConfigServer:Git:RefreshRate"] = "0",
        });
        using var http = f.CreateClient();
        Assert.Equal("20", await PageSizeAsync(http));

        var filled = disk.Fill();
        // Random bytes do not compress: the fetch needs megabytes the disk no longer has.
        File.WriteAllBytes(Path.Combine(_origin.Path, "blob.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(4 * 1024 * 1024));
        Commit(("catalog.yml", "page-size: 21\n"));
        var answers = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await PageSizeAsync(http));
        }
        Assert.All(answers, a => Assert.Equal("20", a));

        disk.Free();
        var sw = Stopwatch.StartNew();
        string now;
        while ((now = await PageSizeAsync(http)) != "21")
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), "the new commit is not served 30 s after space was freed: " + now);
            await Task.Delay(200);
        }
        output.WriteLine($"git clone's disk full (filler {filled / 1024} KiB): {answers.Count} requests answered 200 with the last good commit; the new one served {sw.Elapsed.TotalSeconds:0.0} s after space was freed");
    }

    private static async Task<string> PageSizeAsync(HttpClient http)
    {
        using var r = await http.GetAsync("/catalog/default");
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"answered {(int)r.StatusCode}: {body}");
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("propertySources")[0].GetProperty("source").GetProperty("page-size").ToString();
    }

    private void Commit(params (string Path, string Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            _origin.Write(path, content);
        }
        Git("add", "-A");
        Git("commit", "-q", "-m", "change");
    }

    private void Git(params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = _origin.Path, RedirectStandardOutput = true, RedirectStandardError = true };
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
}
