using System.Diagnostics;
using System.Text;
using Infrastructure.Testing;
using Xunit.Abstractions;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>Runs every command of every lab page (docs/labs/*.md and their Korean twins, docs/labs/ko/*.md) against the running lab and checks the output each page promises; the service-mesh pages run in <see cref="MeshLabPagesTests"/>.</summary>
[Collection(LabCollection.Name)]
public sealed class LabPagesTests(LabFixture fixture, ITestOutputHelper output)
{
    /// <summary>Every English page and every Korean twin (<c>ko/...</c>) that runs on the lab without <c>--mesh</c>.</summary>
    public static TheoryData<string> Pages() => LabPageRun.Pages(mesh: false);

    [Theory]
    [MemberData(nameof(Pages))]
    public Task LabPage_EveryCommand_PrintsWhatThePageSays(string page) => LabPageRun.RunAsync(fixture.Lab, page, output);
}

/// <summary>Runs one lab page's commands in order with bash, as a student types them, and checks each step's promised output.</summary>
internal static class LabPageRun
{
    /// <summary>The English pages and Korean twins that need the lab with <c>--mesh</c> (<paramref name="mesh"/>) or without it.</summary>
    public static TheoryData<string> Pages(bool mesh)
    {
        var data = new TheoryData<string>();
        foreach (var page in LabPage.EnglishPages().Where(p => NeedsMesh(p) == mesh)) { data.Add(page); }
        foreach (var page in LabPage.KoreanPages().Where(p => NeedsMesh(p) == mesh)) { data.Add(LabPage.Korean + "/" + page); }
        return data;
    }

    /// <summary>Whether the page (by its English file name) starts the lab with <c>--mesh</c> in a <c>sh no-run</c> block.</summary>
    private static bool NeedsMesh(string page) =>
        LabPage.NeedsMesh(File.ReadAllText(Path.Combine(LabPage.Folder, page)));

    public static async Task RunAsync(LabProcess lab, string page, ITestOutputHelper output)
    {
        Assert.False(lab.HasExited, lab.Output);
        var steps = LabPage.Parse(await File.ReadAllTextAsync(Path.Combine(LabPage.Folder, page)));
        Assert.NotEmpty(steps);
        Assert.Contains(steps, s => s.Expected.Count > 0);

        var (exit, text) = await RunBashAsync(LabPage.ToScript(steps), TimeSpan.FromMinutes(4));
        output.WriteLine(text);
        Assert.True(exit == 0, $"the page's commands exited with {exit}:\n{text}");
        var outputs = LabPage.SplitOutput(text, steps.Count);
        var failures = new StringBuilder();
        for (var i = 0; i < steps.Count; i++)
        {
            foreach (var expected in steps[i].Expected)
            {
                if (!outputs[i].Contains(expected, StringComparison.Ordinal))
                {
                    failures.Append($"{page}:{steps[i].Line}: expected '{expected}' in the output of\n{steps[i].Commands}got:\n{outputs[i]}\n\n");
                }
            }
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    private static async Task<(int, string)> RunBashAsync(string script, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        // Every step runs as a student would type it; a failing command must not end the page (pages show failures on purpose).
        psi.ArgumentList.Add("-s");
        using var p = Process.Start(psi)!;
        var sb = new StringBuilder();
        var gate = new object();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { sb.Append(e.Data).Append('\n'); } } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { sb.Append(e.Data).Append('\n'); } } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        await p.StandardInput.WriteAsync(script + "\nexit 0\n");
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); return (-1, "TIMEOUT\n" + sb); }
        p.WaitForExit();
        lock (gate) { return (p.ExitCode, sb.ToString()); }
    }
}
