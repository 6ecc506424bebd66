using System.Text.Json;
using Infrastructure.Samples.Lab;
using Infrastructure.Soak;
using Infrastructure.Testing;
using Xunit.Abstractions;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>
/// The soak harness (<c>Benchmarks/Soak</c>, <c>build.ps1 soak</c>) for 60 seconds: the whole lab on free ports under its
/// fixed rate, with logins, config refreshes and registry churn. Proves the harness works end to end — every kind of
/// traffic answered without one error, every lab process sampled. Growth is not asserted: a minute is too short and
/// too noisy to tell a trend (the long runs and their figures are in docs/reliability.md, "Load and soak").
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Soak60Seconds_WholeLabOnFreePorts_NoRequestErrors_EveryProcessSampled()
    {
        var options = SoakOptions.Parse(["--seconds", "60", "--rate", "20", "--sample-seconds", "5",
            "--login-seconds", "5", "--refresh-seconds", "5", "--churn-seconds", "5"]);
        using var log = new StringWriter();
        var result = await SoakRun.RunAsync(options, log);
        output.WriteLine(log.ToString());
        output.WriteLine(result.Report());

        Assert.True(result.LoadTime >= TimeSpan.FromSeconds(60), result.Report());
        // Not the lab's default ports: other labs on this machine are left alone.
        Assert.DoesNotContain("8080", result.LabCommand.Split([' ', ',', '='], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--no-dashboard", result.LabCommand, StringComparison.Ordinal);

        // Every kind of traffic ran, and nothing failed.
        foreach (var kind in new[] { "token", "catalog GET", "order POST", "web-bff login", "config refresh", "registry churn" })
        {
            Assert.True(result.Tally.Requests.TryGetValue(kind, out var stats) && stats.Ok > 0, $"no successful '{kind}':\n{result.Report()}");
        }
        Assert.True(result.Tally.Errors.IsEmpty, result.Report());
        Assert.True(result.Tally.Requests["catalog GET"].Sent >= 300, result.Report());
        Assert.DoesNotContain(result.Processes, p => p.Exited);

        // Figures for the launcher and every process of the lab, from the first sample to the last.
        var expected = new[] { "lab", "discovery", "config", "auth", "catalog#1", "catalog#2", "order", "gateway", "web-bff", "mobile-bff" };
        Assert.Equal(expected.Order(), result.Processes.Select(p => p.Name).Order());
        foreach (var p in result.Processes)
        {
            Assert.True(p.Samples.Count >= 10, $"{p.Name}: {p.Samples.Count} samples");
            Assert.All(p.Samples, s => Assert.True(s.RssKb > 0 && s.Handles > 0 && s.Threads > 0, $"{p.Name}: {s}"));
            Assert.False(double.IsNaN(result.Rss(p).SlopePerMinute), p.Name);
            Assert.False(double.IsNaN(result.Handles(p).SlopePerMinute), p.Name);
            Assert.False(double.IsNaN(result.Threads(p).SlopePerMinute), p.Name);
        }
        Assert.False(result.GrowthJudged);
        Assert.Equal(0, result.ExitCode);
        // The lab and everything it started are gone.
        foreach (var p in result.Processes)
        {
            Assert.Null(ProcessSeries.Read(p.Pid));
        }
    }

    [Fact]
    public void WebBffOnMovedPorts_AuthServerAcceptsItsRedirectUris()
    {
        // The lab points client 1 of Auth.Server's Development clients at where each web-bff really runs.
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "Auth.Server", "appsettings.Development.json")));
        Assert.Equal("web-bff", settings.RootElement.GetProperty("Auth").GetProperty("Clients")[1].GetProperty("ClientId").GetString());

        var plan = new LabPlan(LabCatalogue.All, LabOptions.Parse(["--port", "web-bff=47100", "--scale", "web-bff=2"]));
        var auth = plan.Instances.Single(i => i.Component.Name == "auth");
        var env = LabCatalogue.CommonEnvironment(plan, auth);
        Assert.Equal("http://127.0.0.1:47100/signin-oidc", env["Auth__Clients__1__RedirectUris__0"]);
        Assert.Equal("http://127.0.0.1:47101/signin-oidc", env["Auth__Clients__1__RedirectUris__1"]);
        Assert.Equal("http://127.0.0.1:47101/signout-callback-oidc", env["Auth__Clients__1__PostLogoutRedirectUris__1"]);
    }

    [Fact]
    public void FreePorts_EveryComponentMoved_UserPortsKept()
    {
        var args = SoakRun.WithFreePorts(["--port", "gateway=47080", "--scale", "catalog=3"]);
        var options = LabOptions.Parse(args);
        Assert.True(options.NoDashboard);
        Assert.Equal(47080, options.Ports["gateway"]);
        var plan = new LabPlan(LabCatalogue.All, options);
        foreach (var c in LabCatalogue.All.Where(c => c.Name != "gateway"))
        {
            Assert.NotEqual(c.Port, options.Ports[c.Name]);
        }
        var catalogs = plan.Instances.Where(i => i.Component.Name == "catalog").Select(i => i.Port).ToList();
        Assert.Equal(3, catalogs.Count);
        Assert.Equal(plan.Instances.Count, plan.Instances.Select(i => i.Port).Distinct().Count());
    }

    [Fact]
    public void Slope_LeastSquaresPerMinute()
    {
        Assert.Equal(2.0, ProcessSeries.Slope([(0, 10), (1, 12), (2, 14), (3, 16)]), 6);
        Assert.Equal(0.0, ProcessSeries.Slope([(0, 10), (1, 11), (2, 10), (3, 11), (4, 10), (5, 11), (6, 10)]), 1);
        Assert.True(double.IsNaN(ProcessSeries.Slope([(0, 1), (1, 2)])));
    }
}
