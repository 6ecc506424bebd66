using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.Config.Server.Tests;

/// <summary>The server as a container runs it: Production, configured by environment variables only, with Spring's names.</summary>
public sealed class ProductionEnvironmentTests : IDisposable
{
    private readonly string _repo = Directory.CreateTempSubdirectory("config-prod-").FullName;

    [Fact]
    public async Task Production_SpringStyleVariables_NativeRepoAndSpringBootUser()
    {
        await File.WriteAllTextAsync(Path.Combine(_repo, "payments.yml"), "greeting: hello from env\n");
        await using var server = await ServerProcess.StartAsync("Config.Server", environment: new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["SPRING_CLOUD_CONFIG_SERVER_NATIVE_SEARCHLOCATIONS"] = _repo,
            ["SPRING_SECURITY_USER_NAME"] = "ops",
            ["SPRING_SECURITY_USER_PASSWORD"] = "s3cret-ops",
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        using (var anonymous = await http.GetAsync("/payments/default"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:s3cret-ops")));
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/payments/default"));
        var source = doc.RootElement.GetProperty("propertySources")[0];
        Assert.Equal("hello from env", source.GetProperty("source").GetProperty("greeting").GetString());
        Assert.DoesNotContain("s3cret-ops", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_SpringGitRefreshRateNegative_StartsServingWithOneWarningLine()
    {
        await File.WriteAllTextAsync(Path.Combine(_repo, "payments.yml"), "greeting: hello from git\n");
        foreach (var args in new[] { new[] { "init", "-q", "-b", "main" }, ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "init"] })
        {
            var psi = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = _repo, RedirectStandardError = true };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }
            using var git = System.Diagnostics.Process.Start(psi)!;
            await git.WaitForExitAsync();
            Assert.Equal(0, git.ExitCode);
        }
        await using var server = await ServerProcess.StartAsync("Config.Server", environment: new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["SPRING_CLOUD_CONFIG_SERVER_GIT_URI"] = _repo,
            ["SPRING_CLOUD_CONFIG_SERVER_GIT_BASEDIR"] = Path.Combine(_repo, ".clone"),
            ["SPRING_CLOUD_CONFIG_SERVER_GIT_REFRESHRATE"] = "-1",
            ["SPRING_SECURITY_USER_PASSWORD"] = "s3cret-ops",
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("user:s3cret-ops")));

        using var doc = JsonDocument.Parse(await http.GetStringAsync("/payments/default"));
        Assert.Equal("hello from git", doc.RootElement.GetProperty("propertySources")[0].GetProperty("source").GetProperty("greeting").GetString());
        var line = Assert.Single(server.Output.Split('\n'), l => l.Contains("Configuration warning: ConfigServer:Git:RefreshRate=-1: read as 0", StringComparison.Ordinal));
        Assert.Contains("WRN", line, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_repo, recursive: true);
}
