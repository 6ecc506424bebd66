using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Infrastructure.Samples.Lab;
using Infrastructure.Testing;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>The lab launcher's viewers: the Aspire Dashboard (its ports, --only/--no-dashboard, a missing executable) and the Prometheus scrape config.</summary>
public sealed class LabMonitoringTests
{
    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "--no-dashboard" }, false)]
    [InlineData(new[] { "--only", "discovery,gateway" }, false)]
    [InlineData(new[] { "--only", "discovery,dashboard" }, true)]
    public void Plan_DashboardOptions_DecideWhetherItRuns(string[] args, bool runs)
    {
        var plan = new LabPlan(LabCatalogue.All, LabOptions.Parse(args));
        Assert.Equal(runs, plan.RunsDashboard);
        Assert.DoesNotContain(plan.Components, c => c.Name == "dashboard");
    }

    [Fact]
    public void Plan_ToolPorts_DefaultsAndOverrides()
    {
        var defaults = new LabPlan(LabCatalogue.All, LabOptions.Parse([]));
        Assert.Equal(new Uri("http://127.0.0.1:18888/"), defaults.DashboardUri);
        Assert.Equal(new Uri("http://127.0.0.1:18890/"), defaults.DashboardOtlpUri);
        Assert.Equal(new Uri("http://127.0.0.1:9090/"), defaults.PrometheusUri);

        var moved = new LabPlan(LabCatalogue.All, LabOptions.Parse(["--port", "dashboard=19000,dashboard-otlp=19001,prometheus=19002"]));
        Assert.Equal(19000, moved.DashboardUri.Port);
        Assert.Equal(19001, moved.DashboardOtlpUri.Port);
        Assert.Equal(19002, moved.PrometheusUri.Port);

        var e = Assert.Throws<ArgumentException>(() => new LabPlan(LabCatalogue.All, LabOptions.Parse(["--port", "grafana=3000"])));
        Assert.Contains("dashboard-otlp", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LabOptions.Parse(["--zipkin", "not a url"]));
    }

    [Fact]
    public void CommonEnvironment_DashboardAndZipkin_EveryProcessExportsToBoth()
    {
        var plan = new LabPlan(LabCatalogue.All, LabOptions.Parse(["--zipkin", "http://127.0.0.1:9411/api/v2/spans"]));
        var order = plan.Instances.Single(i => i.Component.Name == "order");
        Assert.False(LabCatalogue.CommonEnvironment(plan, order).ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"));

        plan.Otlp = plan.DashboardOtlpUri;
        var env = LabCatalogue.CommonEnvironment(plan, order);
        Assert.Equal("http://127.0.0.1:18890", env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("http/protobuf", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("order", env["OTEL_SERVICE_NAME"]);
        Assert.Equal("http://127.0.0.1:9411/api/v2/spans", env["Tracing__Zipkin__Endpoint"]);
    }

    [Fact]
    public async Task PrometheusConfig_ScaledLab_PromtoolAcceptsItWithEveryInstance()
    {
        var plan = new LabPlan(LabCatalogue.All, LabOptions.Parse(["--scale", "catalog=3"]));
        var yaml = Monitoring.PrometheusConfig(plan.Instances);
        Assert.Contains("scrape_interval: 2s", yaml, StringComparison.Ordinal);
        Assert.Contains("targets: ['127.0.0.1:5301', '127.0.0.1:5302', '127.0.0.1:5303']", yaml, StringComparison.Ordinal);
        Assert.Equal(plan.Components.Count, yaml.Split("metrics_path: /actuator/prometheus").Length - 1);

        // Debian's prometheus package ships promtool: the real parser checks the file.
        var file = Path.Combine(Path.GetTempPath(), $"lab-prometheus-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(file, yaml);
        try
        {
            var (exit, text) = await RunAsync("promtool", ["check", "config", file], new Dictionary<string, string>(), TimeSpan.FromSeconds(60), _ => false);
            Assert.True(exit == 0, text);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task SampleScrapeConfig_InDocs_IsWhatTheLabWritesForItsDefaults()
    {
        static IEnumerable<string> Settings(string yaml) =>
            yaml.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !l.TrimStart().StartsWith('#'));
        var documented = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "prometheus", "prometheus.yml"));
        var generated = Monitoring.PrometheusConfig(new LabPlan(LabCatalogue.All, LabOptions.Parse([])).Instances);
        Assert.Equal(Settings(generated), Settings(documented));
    }

    [Fact]
    public void DashboardCandidates_NugetPackagesSet_OnlyThere()
    {
        var dir = Path.Combine(Path.GetTempPath(), "nuget-" + Guid.NewGuid().ToString("N"));
        var before = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        try
        {
            Environment.SetEnvironmentVariable("NUGET_PACKAGES", dir);
            var candidate = Assert.Single(Monitoring.DashboardCandidates());
            Assert.Equal(Path.Combine(dir, "aspire.dashboard.sdk.linux-x64", "13.6.5", "tools", "Aspire.Dashboard"), candidate);
            Assert.Null(Monitoring.FindDashboard());
        }
        finally { Environment.SetEnvironmentVariable("NUGET_PACKAGES", before); }
    }

    [Fact]
    public async Task Lab_DashboardOnOwnPorts_ReceivesRegistryTelemetryAndDiesWithTheLab()
    {
        var discovery = FreePort.Next();
        var ui = FreePort.Next();
        var otlp = FreePort.Next();
        var lab = await LabProcess.StartAsync(
            ["--only", "discovery,dashboard", "--port", string.Create(CultureInfo.InvariantCulture, $"discovery={discovery},dashboard={ui},dashboard-otlp={otlp}")],
            TimeSpan.FromSeconds(120));
        try
        {
            Assert.Matches($@"\ndashboard +http://127\.0\.0\.1:{ui}/ +http://127\.0\.0\.1:{ui}/structuredlogs ", lab.Output);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            // The registry's own logs and spans (its start-up, the lab's health polls) reach the dashboard over OTLP.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            var resources = "";
            while (DateTime.UtcNow < deadline)
            {
                resources = await http.GetStringAsync($"http://127.0.0.1:{ui}/api/telemetry/resources");
                using var doc = JsonDocument.Parse(resources);
                if (doc.RootElement.EnumerateArray().Any(r => r.GetProperty("name").GetString()!.StartsWith("discovery", StringComparison.Ordinal) && r.GetProperty("hasLogs").GetBoolean()))
                {
                    break;
                }
                await Task.Delay(500);
            }
            Assert.True(DateTime.UtcNow < deadline, "no discovery logs in the dashboard: " + resources + "\n" + lab.Output);

            // SIGKILL gives the lab no chance to stop anything: the dashboard must notice on its own.
            await lab.SignalAsync("KILL");
            Assert.True(await lab.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            var gone = DateTime.UtcNow.AddSeconds(30);
            while (Listening(ui) && DateTime.UtcNow < gone) { await Task.Delay(250); }
            Assert.False(Listening(ui), "the dashboard outlived the killed lab");
            Assert.Empty(await ProcessTable.WaitUntilGoneAsync($"--urls http://127.0.0.1:{discovery}", TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await lab.DisposeAsync();
        }
    }

    [Fact]
    public async Task Lab_DashboardExecutableMissing_SaysSoAndRunsWithoutIt()
    {
        var discovery = FreePort.Next();
        var empty = Path.Combine(Path.GetTempPath(), "nuget-empty-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(empty);
        try
        {
            var (exit, text) = await RunAsync("dotnet",
                [RepoPaths.ProjectDll(Path.Combine("Samples", "Lab"), "Lab"), "--no-color", "--only", "discovery,dashboard", "--port", string.Create(CultureInfo.InvariantCulture, $"discovery={discovery}")],
                new Dictionary<string, string> { ["NUGET_PACKAGES"] = empty },
                TimeSpan.FromSeconds(120),
                output => output.Contains("Lab ready", StringComparison.Ordinal));
            Assert.Contains("lab: Aspire Dashboard not found (looked for " + Path.Combine(empty, "aspire.dashboard.sdk.linux-x64"), text, StringComparison.Ordinal);
            Assert.Contains("Logs stay on this console only; no OTLP export.", text, StringComparison.Ordinal);
            Assert.Contains("Lab ready", text, StringComparison.Ordinal);
            Assert.Contains("Aspire Dashboard: not found", text, StringComparison.Ordinal);
            Assert.Equal(0, exit);
        }
        finally { Directory.Delete(empty, recursive: true); }
    }

    private static bool Listening(int port)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>Runs a process until <paramref name="stopWhen"/> holds for its output (then SIGINT) or it exits; bounded by <paramref name="timeout"/>.</summary>
    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] args, Dictionary<string, string> env, TimeSpan timeout, Func<string, bool> stopWhen)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
        foreach (var a in args) { psi.ArgumentList.Add(a); }
        foreach (var (k, v) in env) { psi.Environment[k] = v; }
        using var p = Process.Start(psi)!;
        var lines = new ConcurrentQueue<string>();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue(e.Data); } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue(e.Data); } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var sw = Stopwatch.StartNew();
        var signalled = false;
        while (!p.HasExited && sw.Elapsed < timeout)
        {
            if (!signalled && stopWhen(string.Join('\n', lines)))
            {
                signalled = true;
                using var kill = Process.Start("kill", ["-INT", p.Id.ToString(CultureInfo.InvariantCulture)])!;
                await kill.WaitForExitAsync();
            }
            await Task.Delay(200);
        }
        if (!p.HasExited)
        {
            p.Kill(entireProcessTree: true);
            return (-1, "TIMEOUT\n" + string.Join('\n', lines));
        }
        await p.WaitForExitAsync();
        return (p.ExitCode, string.Join('\n', lines));
    }
}
