using System.Globalization;
using Infrastructure.Testing;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>The lab launcher starts real processes in order and leaves none behind, however it is stopped.</summary>
public sealed class LabLifecycleTests
{
    private static string[] Ports(out int discovery, out int gateway)
    {
        discovery = FreePort.Next();
        gateway = FreePort.Next();
        return ["--only", "discovery,gateway", "--port",
            string.Create(CultureInfo.InvariantCulture, $"discovery={discovery},gateway={gateway}")];
    }

    [Fact]
    public async Task Lab_CtrlC_StopsEveryProcess()
    {
        await using var lab = await LabProcess.StartAsync(Ports(out var discovery, out var gateway), TimeSpan.FromSeconds(120));
        using var http = new HttpClient();
        Assert.True((await http.GetAsync($"http://127.0.0.1:{discovery}/actuator/health")).IsSuccessStatusCode);
        Assert.True((await http.GetAsync($"http://127.0.0.1:{gateway}/actuator/health")).IsSuccessStatusCode);
        Assert.Contains("discovery", lab.Output, StringComparison.Ordinal);

        await lab.SignalAsync("INT");

        Assert.True(await lab.WaitForExitAsync(TimeSpan.FromSeconds(40)), lab.Output);
        Assert.Equal(0, lab.ExitCode);
        Assert.Empty(await ProcessTable.WaitUntilGoneAsync($"--urls http://127.0.0.1:{discovery}", TimeSpan.FromSeconds(10)));
        Assert.Empty(await ProcessTable.WaitUntilGoneAsync($"--urls http://127.0.0.1:{gateway}", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Lab_KilledWithSigkill_ChildrenExitOnTheirOwn()
    {
        await using var lab = await LabProcess.StartAsync(Ports(out var discovery, out var gateway), TimeSpan.FromSeconds(120));

        await lab.SignalAsync("KILL");

        Assert.True(await lab.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(await ProcessTable.WaitUntilGoneAsync($"--urls http://127.0.0.1:{discovery}", TimeSpan.FromSeconds(30)));
        Assert.Empty(await ProcessTable.WaitUntilGoneAsync($"--urls http://127.0.0.1:{gateway}", TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Lab_UnknownOption_ExitsWithUsage()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(RepoPaths.ProjectDll(Path.Combine("Samples", "Lab"), "Lab"));
        psi.ArgumentList.Add("--frobnicate");
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("unknown option '--frobnicate'", err, StringComparison.Ordinal);
        Assert.Contains("--scale", err, StringComparison.Ordinal);
    }
}
